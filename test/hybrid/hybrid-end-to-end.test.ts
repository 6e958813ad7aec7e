/**
 * The SPEC §3 end-to-end scenarios on a hybrid organization: the same scenarios as the Graph
 * and EWS paths, with CALENDAR_SOURCE=hybrid and the users alternately on Exchange Online and
 * the Exchange Server, in one run.
 */
process.env.CALENDAR_SOURCE = 'hybrid';
await import('../graph/graph-end-to-end.test.ts');
