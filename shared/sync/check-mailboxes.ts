import type { CalendarSource, Mailbox } from '../calendar/calendar-source.ts';
import type { UserStore } from '../storage/stores.ts';
import { chunk } from './sync-policy.ts';
import { mailboxOf } from './user-mailbox.ts';

export interface MailboxCheckDeps {
  readonly calendarSource: CalendarSource;
  readonly users: UserStore;
  readonly integrationEnabled: () => Promise<boolean>;
}

/**
 * Every few minutes (mailbox-check-timer): a mailbox that a migration batch moves gets no
 * notification on either side (the old side just stops seeing it), so where each mailbox is
 * served from is checked, and one that moved is followed to its new side within minutes. A
 * source with nothing to check (Graph or EWS alone) costs nothing here.
 */
export const MAILBOX_CHECK_SCHEDULE = '0 */5 * * * *';

/** Mailboxes per check call: a few $batch round trips each. */
const PER_CHECK = 200;

export async function runMailboxCheck(deps: MailboxCheckDeps): Promise<void> {
  const source = deps.calendarSource;
  if (source.checkMailboxes === undefined || !(await deps.integrationEnabled())) return;
  // With the directory id each address resolved to: Graph finds a user by it, not by an alias.
  const mailboxes = (await deps.users.list()).flatMap((user) =>
    user.integrated ? (mailboxOf(user) ?? []) : [],
  );
  await checkInBatches(source, mailboxes);
}

/** A few hundred mailboxes at a time, so neither side gets thousands of calls at once. */
export async function checkInBatches(source: CalendarSource, mailboxes: readonly Mailbox[]): Promise<void> {
  if (source.checkMailboxes === undefined) return;
  for (const batch of chunk(mailboxes, PER_CHECK)) await source.checkMailboxes(batch);
}
