import type { CalendarSubscription } from '../calendar/calendar-source.ts';

/**
 * An EWS event proves its subscription alive only once the calendar read it led to has
 * succeeded (calendar/ews/ews-liveness.ts): its watermark travels with the calendar-sync job and
 * is kept then. Status pings, which anyone holding the id can post, carry none that is kept.
 */

/** An event notification's watermark, held until the read it leads to has succeeded. */
export interface EwsEventWatermark {
  readonly userId: string;
  readonly subscriptionId: string;
  readonly watermark: string;
}

/**
 * The watermarks a calendar-sync job may keep: those of users whose calendar it read. A user
 * whose read failed keeps the older watermark, so a resume replays the events not yet read.
 */
export function provenWatermarks(
  watermarks: readonly EwsEventWatermark[],
  readSucceeded: (userId: string) => boolean,
): EwsEventWatermark[] {
  return watermarks.filter((w) => readSucceeded(w.userId));
}

/** The subscription with a proven watermark, or null when it is no longer the one (replaced, or gone). */
export function withProvenWatermark(
  subscription: CalendarSubscription | null,
  proven: EwsEventWatermark,
): CalendarSubscription | null {
  if (subscription === null || subscription.source !== 'ews') return null;
  if (subscription.id !== proven.subscriptionId || subscription.userId !== proven.userId) return null;
  if (subscription.watermark === proven.watermark) return null;
  return { ...subscription, watermark: proven.watermark };
}
