import type { Instant } from '../presence/model.ts';

/** Time as the use cases see it: the system's, or one a test moves by hand. */
export interface Clock {
  readonly now: () => Instant;
  readonly sleep: (ms: number) => Promise<void>;
}

export const systemClock: Clock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
