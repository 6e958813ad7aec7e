import type { Instant } from '../presence/model.ts';

/**
 * An EWS push subscription never expires while Exchange reaches us: it sends a StatusEvent
 * when nothing else was sent for StatusFrequency minutes, and drops the subscription when its
 * retries have failed for that long. So "alive" means "heard from lately": each notification
 * moves `expiresAt` to the moment by which the next status ping must have arrived (one period
 * and a margin, which also covers the receiver writing it at most every 10 minutes). When that
 * passes, the maintenance re-subscribes, resuming from the stored watermark.
 */
export const EWS_STATUS_FREQUENCY_MINUTES = 30;

const MARGIN_MS = 15 * 60_000;

export function ewsExpiresAt(heardAt: Instant): Instant {
  return heardAt + EWS_STATUS_FREQUENCY_MINUTES * 60_000 + MARGIN_MS;
}
