import type { Instant } from '../../presence/model.ts';

/**
 * An EWS push subscription never expires while Exchange reaches us: it sends a StatusEvent
 * when nothing else was sent for StatusFrequency minutes, and drops the subscription when its
 * retries have failed for that long. So "alive" means "heard from lately": each notification
 * moves `expiresAt` two periods ahead, the silence after which Microsoft's StatusFrequency
 * reference says to recreate the subscription (the receiver writes it at most every 10
 * minutes, well inside that). When it passes, the maintenance re-subscribes, resuming from the
 * stored watermark.
 */
export const EWS_STATUS_FREQUENCY_MINUTES = 30;

export function ewsExpiresAt(heardAt: Instant): Instant {
  return heardAt + 2 * EWS_STATUS_FREQUENCY_MINUTES * 60_000;
}
