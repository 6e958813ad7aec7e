/**
 * At most `size` calls under way at once; the others wait their turn in order. A finished call
 * hands its slot straight to the next waiter, so no later caller can overtake one that waits.
 */
export class Limiter {
  readonly #size: number;
  readonly #waiting: (() => void)[] = [];
  #busy = 0;

  constructor(size: number) {
    this.#size = size;
  }

  /** True while a call is under way or waiting. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy += 1;
    try {
      return await call();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#busy -= 1;
      else next();
    }
  }
}
