import type { Mailbox } from '../calendar/calendar-source.ts';
import type { UserRecord } from '../storage/stores.ts';

/**
 * The mailbox of a user with an email address: with the directory id the address resolved to,
 * while that is still the address (an email changed in PHONE-LiNK is resolved again).
 */
export function mailboxOf(user: Pick<UserRecord, 'id' | 'email' | 'directoryUser'>): Mailbox | null {
  if (user.email === null) return null;
  const known = user.directoryUser;
  return known !== undefined && known.email.toLowerCase() === user.email.toLowerCase()
    ? { userId: user.id, email: user.email, directoryId: known.id }
    : { userId: user.id, email: user.email };
}
