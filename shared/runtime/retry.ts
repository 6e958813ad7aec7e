import type { Instant } from '../presence/model.ts';

/**
 * The seconds a `Retry-After` asks for: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), an
 * HTTP-date rounded up so a retry is never sooner. A number is taken as seconds (a Graph $batch
 * answer's headers are JSON). Anything else: undefined.
 */
export function parseRetryAfter(value: unknown, now: Instant): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export interface Backoff {
  /** The wait before the second try. */
  readonly firstSeconds: number;
  /** The doubling stops here. */
  readonly capSeconds: number;
}

/**
 * The one back-off of the service: `firstSeconds` doubling with each earlier failure (0 for the
 * first retry), at most `capSeconds`, and never sooner than the server's Retry-After.
 */
export function backoffSeconds(failures: number, backoff: Backoff, retryAfterSeconds?: number): number {
  const doubled = backoff.firstSeconds * 2 ** Math.min(Math.max(0, failures), 30);
  return Math.max(Math.min(doubled, backoff.capSeconds), retryAfterSeconds ?? 0);
}
