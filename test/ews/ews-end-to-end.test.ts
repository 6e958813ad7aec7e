/**
 * The Graph path's end-to-end presence tests, run again against the simulated EWS: the same
 * scenarios, with CALENDAR_SOURCE=ews (issue "done when").
 */
process.env.CALENDAR_SOURCE = 'ews';
await import('../graph/graph-end-to-end.test.ts');
