/**
 * Outlook allows 4 concurrent requests per mailbox; more come back 429 (ApplicationThrottled).
 * A request touching several mailboxes (a $batch) waits until each has a free slot. Slots are
 * taken in sorted order, so two batches can never hold-and-wait on each other.
 */
export class MailboxGate {
  readonly #limit: number;
  readonly #slots = new Map<string, { active: number; waiters: (() => void)[] }>();

  constructor(limit = 4) {
    this.#limit = limit;
  }

  async run<T>(mailboxes: readonly string[], work: () => Promise<T>): Promise<T> {
    const keys = [...new Set(mailboxes.map((mailbox) => mailbox.toLowerCase()))].sort();
    for (const key of keys) await this.#acquire(key);
    try {
      return await work();
    } finally {
      for (const key of keys) this.#release(key);
    }
  }

  async #acquire(key: string): Promise<void> {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = { active: 0, waiters: [] };
      this.#slots.set(key, slot);
    }
    if (slot.active < this.#limit) {
      slot.active += 1;
      return;
    }
    const waiting = slot;
    await new Promise<void>((resolve) => waiting.waiters.push(resolve));
  }

  #release(key: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    const next = slot.waiters.shift();
    if (next !== undefined) {
      next(); // the slot passes straight to the next waiter
      return;
    }
    slot.active -= 1;
    if (slot.active === 0) this.#slots.delete(key);
  }
}
