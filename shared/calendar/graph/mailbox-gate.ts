import { Limiter } from '../../runtime/limiter.ts';

/**
 * Outlook allows 4 concurrent requests per mailbox; more come back 429 (ApplicationThrottled).
 * A request touching several mailboxes (a $batch) waits until each has a free slot. Slots are
 * taken in sorted order, so two batches can never hold-and-wait on each other.
 */
export class MailboxGate {
  readonly #limit: number;
  readonly #byMailbox = new Map<string, Limiter>();

  constructor(limit = 4) {
    this.#limit = limit;
  }

  async run<T>(mailboxes: readonly string[], work: () => Promise<T>): Promise<T> {
    const keys = [...new Set(mailboxes.map((mailbox) => mailbox.toLowerCase()))].sort();
    const gated = keys.reduceRight<() => Promise<T>>(
      (inner, key) => () => this.#limiterOf(key).run(inner),
      work,
    );
    try {
      return await gated();
    } finally {
      // A mailbox nobody waits for is forgotten: the gate holds only mailboxes in use.
      for (const key of keys) if (this.#byMailbox.get(key)?.busy === false) this.#byMailbox.delete(key);
    }
  }

  #limiterOf(key: string): Limiter {
    let limiter = this.#byMailbox.get(key);
    if (limiter === undefined) {
      limiter = new Limiter(this.#limit);
      this.#byMailbox.set(key, limiter);
    }
    return limiter;
  }
}
