import type { CalendarWindow } from '../../../shared/calendar/calendar-source.ts';
import type { Appointment, Instant } from '../../../shared/presence/model.ts';
import type { CalendarStore, UserRecord, UserStore } from '../../../shared/storage/stores.ts';
import { anOutOfOffice, aUserRecord, utc } from '../../support/builders.ts';
import { saveAppointments, saveOutOfOffice } from '../../support/calendar-writes.ts';

/** The week the use-case tests read: 2026-11-24 to 2026-12-01 (UTC). */
export const TEST_WEEK: CalendarWindow = {
  start: utc('2026-11-24T00:00:00Z'),
  end: utc('2026-12-01T00:00:00Z'),
};

export interface StoredRead {
  readonly readAt: Instant;
  readonly window?: CalendarWindow;
  /** Why the calendar was read, as calendar sync records it. */
  readonly because?: string;
  readonly user?: Partial<UserRecord>;
}

/**
 * What calendar sync leaves in storage after reading a user's mailbox at `readAt`: the user as
 * integrated, these appointments over the window (TEST_WEEK unless told), out-of-office off.
 */
export async function storeReadCalendar(
  stores: { readonly users: UserStore; readonly calendars: CalendarStore },
  userId: string,
  appointments: readonly Appointment[],
  read: StoredRead,
): Promise<void> {
  const { readAt, window = TEST_WEEK, because = 'scan' } = read;
  await stores.users.put(aUserRecord(userId, { updatedAt: readAt, ...read.user }));
  await saveAppointments(stores.calendars, userId, window, appointments, { readAt, because });
  await saveOutOfOffice(stores.calendars, userId, anOutOfOffice(), 'UTC', readAt);
}
