import type { Instant } from '../presence/model.ts';

/**
 * An EWS push subscription never expires while Exchange reaches us: it sends a StatusEvent
 * every StatusFrequency minutes, and drops the subscription when its retries fail for that long.
 * So "alive" means "heard from lately": each notification moves `expiresAt` to the moment by
 * which the next status ping should have arrived (two periods and a margin). When that passes,
 * the renewal re-subscribes, resuming from the stored watermark.
 */
export const EWS_STATUS_FREQUENCY_MINUTES = 30;

const MARGIN_MS = 15 * 60_000;

export function ewsExpiresAt(heardAt: Instant): Instant {
  return heardAt + 2 * EWS_STATUS_FREQUENCY_MINUTES * 60_000 + MARGIN_MS;
}
