import type { CalendarWindow } from '../../shared/calendar/calendar-source.ts';
import type { Appointment, Instant, OutOfOffice } from '../../shared/presence/model.ts';
import type { CalendarStore } from '../../shared/storage/stores.ts';

/** A calendar read alone, stored as calendar sync stores one (CalendarStore.saveRead). */
export async function saveAppointments(
  calendars: CalendarStore,
  userId: string,
  window: CalendarWindow,
  appointments: readonly Appointment[],
  meta: { readonly readAt: Instant; readonly because: string },
): Promise<void> {
  await calendars.saveRead(userId, { ...meta, calendar: { window, appointments } });
}

/** An out-of-office read alone, stored as the hourly refresh stores one. */
export async function saveOutOfOffice(
  calendars: CalendarStore,
  userId: string,
  outOfOffice: OutOfOffice,
  timeZone: string,
  readAt: Instant,
): Promise<void> {
  await calendars.saveRead(userId, { readAt, because: '', outOfOffice: { outOfOffice, timeZone } });
}
