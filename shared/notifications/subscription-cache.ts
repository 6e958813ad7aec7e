import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import type { Instant } from '../presence/model.ts';
import type { SubscriptionStore } from '../storage/stores.ts';

/**
 * The one subscription cache of both anonymous webhooks (Graph and EWS): what a subscription
 * id names, so that a notice costs no storage read most of the time, and so that anyone posting
 * made-up ids costs at most one read per id per while. Known subscriptions are kept a minute
 * (they change weekly; a deletion elsewhere shows within that); unknown ids half as long. A miss
 * kept a while costs little: a new Graph subscription's notices carry a signed clientState and
 * need no read, and an EWS notice for an id not stored is answered Unsubscribe anyway. Concurrent
 * lookups of one id share one read, and the cache holds a bounded number of ids, the oldest
 * going first.
 */
export const KNOWN_FOR_MS = 60_000;
export const UNKNOWN_FOR_MS = 30_000;
const MAX_IDS = 20_000;

type Entry = { readonly subscription: CalendarSubscription | null; readonly until: Instant };

export class SubscriptionCache {
  readonly #store: Pick<SubscriptionStore, 'getById'>;
  readonly #now: () => Instant;
  readonly #entries = new Map<string, Entry>();
  readonly #reading = new Map<string, Promise<CalendarSubscription | null>>();

  constructor(store: Pick<SubscriptionStore, 'getById'>, now: () => Instant = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** The stored subscription of `source` with this id, or null when there is none. */
  async get(id: string, source: CalendarSubscription['source']): Promise<CalendarSubscription | null> {
    const subscription = await this.#lookup(id);
    return subscription?.source === source ? subscription : null;
  }

  /** A subscription the webhook just deleted. */
  forget(id: string): void {
    this.#set(id, null, UNKNOWN_FOR_MS);
  }

  #lookup(id: string): Promise<CalendarSubscription | null> {
    const cached = this.#entries.get(id);
    if (cached !== undefined && cached.until > this.#now()) return Promise.resolve(cached.subscription);
    let reading = this.#reading.get(id);
    if (reading === undefined) {
      reading = this.#read(id);
      this.#reading.set(id, reading);
    }
    return reading;
  }

  async #read(id: string): Promise<CalendarSubscription | null> {
    try {
      const subscription = await this.#store.getById(id);
      this.#set(id, subscription, subscription === null ? UNKNOWN_FOR_MS : KNOWN_FOR_MS);
      return subscription;
    } finally {
      // A failed read is not remembered: the next notice asks storage again.
      this.#reading.delete(id);
    }
  }

  #set(id: string, subscription: CalendarSubscription | null, forMs: number): void {
    this.#entries.delete(id);
    if (this.#entries.size >= MAX_IDS) {
      const [oldest] = this.#entries.keys();
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, { subscription, until: this.#now() + forMs });
  }
}
