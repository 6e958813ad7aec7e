import type { CalendarSource } from '../calendar/calendar-source.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { CalendarStore, UserStore } from '../storage/stores.ts';
import type { UserState } from './store-mailbox-read.ts';

export interface ResolveDeps {
  readonly calendarSource: CalendarSource;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly log: AdminLog;
}

/**
 * Gives each user's mailbox the directory id its address resolves to, where the source needs one
 * (Graph keys users by id or UPN, so a primary address that is not the UPN, or an alias, is
 * found only through the directory). Only users without a known id are looked up, all in one
 * call, and what is found is kept with the user. A user whose address resolves to nobody is
 * left out of the job, named in the log and in their calendar's error. When the directory
 * cannot be read (a permission missing, an outage), the address itself is used: Graph still
 * finds a user whose address is their UPN.
 */
export async function resolveMailboxes(
  deps: ResolveDeps,
  users: readonly UserState[],
): Promise<readonly UserState[]> {
  const resolve = deps.calendarSource.resolveMailboxes?.bind(deps.calendarSource);
  const unknown = users.filter((user) => user.mailbox.directoryId === undefined);
  if (resolve === undefined || unknown.length === 0) return users;
  const answers = await resolve(unknown.map((user) => user.mailbox));
  const kept: UserState[] = [];
  const failures: string[] = [];
  for (const user of users) {
    const { mailbox } = user;
    const answer = answers.get(mailbox.userId);
    if (answer === undefined) {
      kept.push(user);
    } else if (!answer.ok) {
      failures.push(answer.error.message);
      kept.push(user);
    } else if (answer.value === null) {
      const reason = `no user in the directory has the address ${mailbox.email}`;
      await deps.log.write(`Skipping user ${mailbox.email}: ${reason}`, 'warning');
      await deps.calendars.saveError(mailbox.userId, reason);
    } else {
      const directoryId = answer.value;
      await deps.users.saveDirectoryUser(mailbox.userId, { id: directoryId, email: mailbox.email });
      kept.push({ ...user, mailbox: { ...mailbox, directoryId } });
    }
  }
  if (failures.length > 0) {
    await deps.log.write(
      `Could not look up ${failures.length} address(es) in the directory, using them as user names: ${failures[0]}`,
      'warning',
    );
  }
  return kept;
}
