import type { CalendarSubscription, CalendarWindow } from '../calendar/calendar-source.ts';
import type { Instant } from '../presence/model.ts';
import type { StoredCalendar } from '../storage/stores.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * When data is old enough to read again. The maintenance timer asks every user's out-of-office
 * hourly; the same job re-reads a calendar last read more than 20 hours ago. So each window
 * [read, read + SCAN_WINDOW_DAYS] is replaced at least daily and always reaches at least
 * SCAN_WINDOW_DAYS − 1 days ahead: the next 24 hours are never outside the known window,
 * whether the weekly scan is on time, late or fails.
 */
export const CALENDAR_MAX_AGE_MS = 20 * HOUR;
/** Subscriptions live 7 days; renew when fewer than 3 are left (the weekly scan renews them all anyway). */
export const RENEW_BEFORE_MS = 3 * DAY;
/** At most this many users per calendar-sync message: one $batch per kind of read. */
export const USERS_PER_JOB = 20;

export function syncWindow(now: Instant, windowDays: number): CalendarWindow {
  return { start: now, end: now + windowDays * DAY };
}

export function calendarIsStale(stored: StoredCalendar | null, now: Instant, windowDays: number): boolean {
  if (stored === null || stored.calendarReadAt === null || stored.window === null) return true;
  return (
    now - stored.calendarReadAt > CALENDAR_MAX_AGE_MS || stored.window.end < now + (windowDays - 1) * DAY
  );
}

export function subscriptionNeedsRenewal(subscription: CalendarSubscription | null, now: Instant): boolean {
  if (subscription === null) return true;
  return subscription.expiresAt !== null && subscription.expiresAt - now < RENEW_BEFORE_MS;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
