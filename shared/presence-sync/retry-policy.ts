import { MAX_DELAY_SECONDS } from '../queues/messages.ts';
import { backoffSeconds } from '../runtime/retry.ts';

export type RetryCause = 'unreachable' | 'unauthorized';

/**
 * Back-off before the next attempt to reach PHONE-LiNK: doubling from 1 s, never sooner than the
 * server's Retry-After. The cap is short at first, so a PHONE-LiNK back after a minute's outage
 * shows the change within seconds, and grows for an outage of hours, so pending updates of many
 * users do not cost a queue round trip each every few seconds.
 */
export function retryDelaySeconds(
  attempt: number,
  retryAfterSeconds: number | undefined,
  cause: RetryCause,
): number {
  const backoff = { firstSeconds: 1, capSeconds: capSeconds(attempt, cause) };
  return Math.min(backoffSeconds(attempt, backoff, retryAfterSeconds), MAX_DELAY_SECONDS);
}

function capSeconds(attempt: number, cause: RetryCause): number {
  if (cause === 'unauthorized') return attempt < 10 ? 60 : 300;
  // About 1.5 minutes of tries at most 10 s apart, then half an hour at a minute, then every 5 minutes.
  if (attempt < 12) return 10;
  return attempt < 40 ? 60 : 300;
}
