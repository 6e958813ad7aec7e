/**
 * Work on overlapping keys runs one piece after another, in the order it asked; work on disjoint
 * keys runs at once. The calendar-sync jobs of one process take turns per user: a job for a user
 * another job is reading starts once that one has stored its read, and so sees whether that read
 * already covers its notices.
 */
export class KeyedTurns {
  /** key → the turn of the latest work that asked for it. */
  readonly #latest = new Map<string, Promise<void>>();

  async run<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const before = unique.flatMap((key) => {
      const turn = this.#latest.get(key);
      return turn === undefined ? [] : [turn];
    });
    let done: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    // Taken before any wait, so later work queues behind this one and no two wait on each other.
    for (const key of unique) this.#latest.set(key, mine);
    try {
      await Promise.all(before);
      return await work();
    } finally {
      done();
      for (const key of unique) if (this.#latest.get(key) === mine) this.#latest.delete(key);
    }
  }

  /** Keys some work holds or waits for (a bounded map: each entry goes with its work). */
  get size(): number {
    return this.#latest.size;
  }
}
