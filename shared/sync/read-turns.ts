import type { Instant } from '../presence/model.ts';
import type { Clock } from '../runtime/clock.ts';
import { KeyedTurns } from '../runtime/keyed-turns.ts';

/** The least time between two notice-driven reads of one user begun in one process. */
export const READ_SPACING_MS = 500;
/** Read instants kept before the ones that can no longer delay a read are dropped. */
const PRUNE_AT = 10_000;

/**
 * The calendar-sync jobs of one process, per user: one at a time, in the order they came, so a
 * job finds the read of the one before it stored (and skips users it covers); and a job for
 * change notices begins no sooner than READ_SPACING_MS after the last read of one of its users
 * began, so the notices of a burst wait and share one read after it. A lone change is read at
 * once; a user whose calendar keeps changing costs at most two reads a second.
 */
export class ReadTurns {
  readonly #clock: Clock;
  readonly #turns = new KeyedTurns();
  /** userId → when this process last began reading them. */
  readonly #began = new Map<string, Instant>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `job` in the turn of `userIds`; `paced`: not before the spacing after their last read. */
  run<T>(userIds: readonly string[], paced: boolean, job: () => Promise<T>): Promise<T> {
    return this.#turns.run(userIds, async () => {
      if (paced) {
        const wait = readMayBeginAt(userIds.map((id) => this.#began.get(id))) - this.#clock.now();
        if (wait > 0) await this.#clock.sleep(wait);
      }
      return job();
    });
  }

  /** Notes that a job began reading these users at `at`. */
  began(userIds: readonly string[], at: Instant): void {
    for (const id of userIds) this.#began.set(id, at);
    if (this.#began.size < PRUNE_AT) return;
    for (const [id, when] of this.#began) if (when + READ_SPACING_MS <= at) this.#began.delete(id);
  }
}

/** When a read may begin, given when the last reads of its users began here (undefined: never). */
export function readMayBeginAt(lastBegan: readonly (Instant | undefined)[]): Instant {
  const latest = Math.max(...lastBegan.map((at) => at ?? Number.NEGATIVE_INFINITY));
  return latest + READ_SPACING_MS;
}
