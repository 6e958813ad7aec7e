import { odata, type TransactionAction } from '@azure/data-tables';
import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import { subscriptionRecord } from './records.ts';
import type { SubscriptionPut, SubscriptionStore } from './stores.ts';
import { encodeKey, parseJson, type Table } from './table.ts';

/**
 * Each subscription is written twice, keyed by user and keyed by subscription id, so both
 * lookups (a user's renewal; a notification naming only its subscription) are one point read.
 * The by-id row is written first and removed last, so a notification is never refused for
 * a subscription we still hold.
 */
const BY_USER = 'byUser';
const BY_ID = 'byId';

export class TableSubscriptionStore implements SubscriptionStore {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  getByUser(userId: string): Promise<CalendarSubscription | null> {
    return this.#read(BY_USER, userId);
  }

  /** Uncached: the webhooks' SubscriptionCache keeps what notices name. */
  getById(subscriptionId: string): Promise<CalendarSubscription | null> {
    return this.#read(BY_ID, subscriptionId);
  }

  put(subscription: CalendarSubscription, previous?: CalendarSubscription | null): Promise<void> {
    return this.putAll([{ subscription, previous }]);
  }

  /**
   * Each kind of row in one transaction per 100 (all by-id rows share a partition, as do all
   * by-user rows), so a job of 20 users costs two writes, not forty.
   */
  async putAll(entries: readonly SubscriptionPut[]): Promise<void> {
    if (entries.length === 0) return;
    const known = await Promise.all(
      entries.map(({ subscription, previous }) =>
        previous === undefined ? this.getByUser(subscription.userId) : previous,
      ),
    );
    const rows = (partitionKey: string, key: (s: CalendarSubscription) => string): TransactionAction[] =>
      entries.map(({ subscription }) => [
        'upsert',
        { partitionKey, rowKey: encodeKey(key(subscription)), json: JSON.stringify(subscription) },
        'Replace',
      ]);
    await this.#table.submitInBatches(rows(BY_ID, (s) => s.id));
    await this.#table.submitInBatches(rows(BY_USER, (s) => s.userId));
    const replaced = known.flatMap((previous, i) =>
      previous != null && previous.id !== entries[i]?.subscription.id ? [previous] : [],
    );
    for (const previous of replaced) {
      await this.#table.deleteIfExists(BY_ID, encodeKey(previous.id));
    }
  }

  async delete(subscription: CalendarSubscription): Promise<void> {
    const byUser = await this.getByUser(subscription.userId);
    // Only when it is still the user's current one: a newer subscription stays in place.
    if (byUser?.id === subscription.id)
      await this.#table.deleteIfExists(BY_USER, encodeKey(subscription.userId));
    await this.#table.deleteIfExists(BY_ID, encodeKey(subscription.id));
  }

  async list(): Promise<readonly CalendarSubscription[]> {
    const rows = await this.#table.query(odata`PartitionKey eq ${BY_USER}`);
    return rows.map((row) =>
      subscriptionRecord.parse(parseJson(typeof row.json === 'string' ? row.json : null)),
    );
  }

  async #read(partition: string, id: string): Promise<CalendarSubscription | null> {
    const row = await this.#table.getOrNull(partition, encodeKey(id));
    if (row === null) return null;
    return subscriptionRecord.parse(parseJson(typeof row.json === 'string' ? row.json : null));
  }
}
