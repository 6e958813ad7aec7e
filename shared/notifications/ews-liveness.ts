import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import type { Instant } from '../presence/model.ts';

/**
 * What keeps an EWS push subscription alive, decided from what Exchange proves, never from
 * what anyone can post. A push subscription has no expiry of its own: Exchange drops it after
 * failing to reach us for a StatusFrequency, and tells nobody. Its status pings prove nothing
 * (anyone holding the id can post them), so they neither keep it alive nor move its watermark.
 * Proof is a Subscribe that Exchange answered, after which the subscription is re-subscribed
 * with its watermark within 24 hours (so an event is missed for 24 hours at most, and then
 * replayed), and an event whose calendar read succeeded, which moves the watermark past it.
 */
export const EWS_STATUS_FREQUENCY_MINUTES = 30;

/** Re-subscribed at least this often, whatever the pings say. */
export const EWS_RESUBSCRIBE_EVERY_MS = 24 * 3_600_000;

/**
 * The hourly maintenance re-subscribes once this little is left, so a subscription is renewed
 * before its deadline and never counts as lapsed (which costs a full re-read).
 */
export const EWS_RENEW_WITHIN_MS = 3 * 3_600_000;

/** The deadline of a subscription Exchange has just answered. */
export function ewsExpiresAt(subscribedAt: Instant): Instant {
  return subscribedAt + EWS_RESUBSCRIBE_EVERY_MS;
}

/** Whether `existing` is kept as it is (else re-subscribed, resuming from its watermark). */
export function ewsKeepsSubscription(existing: CalendarSubscription, now: Instant): boolean {
  return existing.expiresAt !== null && existing.expiresAt - now > EWS_RENEW_WITHIN_MS;
}

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
