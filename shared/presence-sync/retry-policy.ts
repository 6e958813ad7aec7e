/** Queue messages can be delayed by at most 7 days; keep a margin for clock differences. */
export const MAX_DELAY_SECONDS = 7 * 24 * 3600 - 60;

/**
 * Back-off before the next attempt to reach PHONE-LiNK: doubling from 1 s up to `capSeconds`,
 * never sooner than the server's Retry-After.
 */
export function retryDelaySeconds(
  attempt: number,
  retryAfterSeconds: number | undefined,
  capSeconds: number,
): number {
  const backoff = Math.min(2 ** Math.max(0, attempt), capSeconds);
  return Math.min(Math.max(backoff, retryAfterSeconds ?? 0), MAX_DELAY_SECONDS);
}
