import type { Instant } from '../presence/model.ts';

/**
 * When a change notice re-reads its user's calendar (SPEC §5), leading and trailing edge: the
 * first notice for a user starts a read at once; notices that arrive while that read may still be
 * queued or running collapse into one more read after it. Pure: an instance's mark for the user
 * and the instant in, the decision and the next mark out (calendar-sync-requests.ts performs it).
 *
 * A notice may only be absorbed by a message whose read is sure to begin after the notice: one
 * not yet visible. An immediate message is visible before its write even returns, so it absorbs
 * nothing; a trailing message is delayed, and absorbs every notice until it becomes visible. The
 * message carries that instant (`coveredUntil`), and the job skips a user whose stored read began
 * at or after it. So two instances that see notices for one user are safe without sharing
 * anything: each absorbs only into its own messages, and each message says what it covers.
 */

/** How long a read is taken to be queued or running once its message is visible: the trailing read waits that long. */
export const TRAILING_DELAY_SECONDS = 1;
const BUSY_MS = TRAILING_DELAY_SECONDS * 1000;

/** What one instance knows of a user's latest notice-driven message: when it became (or becomes) visible. */
export interface ReadMark {
  readonly visibleAt: Instant;
}

export type ReadDecision =
  /** A message of ours for the user is not visible yet: its read begins after this notice. */
  | { readonly kind: 'covered' }
  /** Queue a read now (`delaySeconds` 0) or after the one that may still be queued or running. */
  | { readonly kind: 'leading' | 'trailing'; readonly delaySeconds: number; readonly mark: ReadMark };

export function decideRead(mark: ReadMark | undefined, now: Instant): ReadDecision {
  if (mark !== undefined && now < mark.visibleAt) return { kind: 'covered' };
  if (mark !== undefined && now < mark.visibleAt + BUSY_MS) {
    return {
      kind: 'trailing',
      delaySeconds: TRAILING_DELAY_SECONDS,
      mark: { visibleAt: now + BUSY_MS },
    };
  }
  return { kind: 'leading', delaySeconds: 0, mark: { visibleAt: now } };
}

/** A mark that decides nothing any more (the next notice is a leading edge either way) can be dropped. */
export function markIsSpent(mark: ReadMark, now: Instant): boolean {
  return now >= mark.visibleAt + BUSY_MS;
}

/**
 * Whether a job must read a user whose stored calendar was read at `calendarReadAt`, for a
 * message covering notices up to `coveredUntil` (absent: not notice-driven, always read).
 */
export function readStillNeeded(calendarReadAt: Instant | null, coveredUntil: Instant | undefined): boolean {
  return coveredUntil === undefined || calendarReadAt === null || calendarReadAt < coveredUntil;
}
