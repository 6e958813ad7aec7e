import type { CalendarSource, Mailbox } from '../calendar/calendar-source.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { CalendarStore, UserStore } from '../storage/stores.ts';

export interface ResolveDeps {
  readonly calendarSource: CalendarSource;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly log: AdminLog;
}

/**
 * Gives each mailbox the directory id its address resolves to, where the source needs one
 * (Graph keys users by id or UPN, so a primary address that is not the UPN, or an alias, is
 * found only through the directory). Only mailboxes without a known id are looked up, all in
 * one call, and what is found is kept with the user. The answer maps each userId to the mailbox
 * to use, or null for an address that resolves to nobody: that user is named in the log and in
 * their calendar's error, and left out. When the directory cannot be read (a permission
 * missing, an outage), the address itself is used: Graph still finds a user whose address is
 * their UPN.
 */
export async function resolveMailboxes(
  deps: ResolveDeps,
  mailboxes: readonly Mailbox[],
): Promise<ReadonlyMap<string, Mailbox | null>> {
  const outcome = new Map<string, Mailbox | null>(mailboxes.map((mailbox) => [mailbox.userId, mailbox]));
  const resolve = deps.calendarSource.resolveMailboxes?.bind(deps.calendarSource);
  const unknown = mailboxes.filter((mailbox) => mailbox.directoryId === undefined);
  if (resolve === undefined || unknown.length === 0) return outcome;
  const answers = await resolve(unknown);
  const found: { userId: string; directoryUser: { id: string; email: string } }[] = [];
  const nobody: Mailbox[] = [];
  let failure: string | null = null;
  let failures = 0;
  for (const mailbox of unknown) {
    const answer = answers.get(mailbox.userId);
    if (answer === undefined) continue;
    if (!answer.ok) {
      failures += 1;
      failure ??= answer.error.message;
    } else if (answer.value === null) {
      nobody.push(mailbox);
      outcome.set(mailbox.userId, null);
    } else {
      found.push({ userId: mailbox.userId, directoryUser: { id: answer.value, email: mailbox.email } });
      outcome.set(mailbox.userId, { ...mailbox, directoryId: answer.value });
    }
  }
  if (found.length > 0) await deps.users.saveDirectoryUsers(found);
  for (const mailbox of nobody) {
    const reason = `no user in the directory has the address ${mailbox.email}`;
    await deps.log.write(`Skipping user ${mailbox.email}: ${reason}`, 'warning');
    await deps.calendars.saveError(mailbox.userId, reason);
  }
  if (failure !== null) {
    await deps.log.write(
      `Could not look up ${failures} address(es) in the directory, using them as user names: ${failure}`,
      'warning',
    );
  }
  return outcome;
}
