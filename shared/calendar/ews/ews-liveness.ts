import type { Instant } from '../../presence/model.ts';
import type { CalendarSubscription } from '../calendar-source.ts';

/**
 * What keeps an EWS push subscription alive, decided from what Exchange proves, never from
 * what anyone can post. A push subscription has no expiry of its own: Exchange drops it after
 * failing to reach us for a StatusFrequency, and tells nobody. Its status pings prove nothing
 * (anyone holding the id can post them), so they neither keep it alive nor move its watermark.
 * Proof is a Subscribe that Exchange answered, after which the subscription is re-subscribed
 * with its watermark within 24 hours (so an event is missed for 24 hours at most, and then
 * replayed), and an event whose calendar read succeeded, which moves the watermark past it
 * (notifications/ews-event-watermarks.ts).
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
