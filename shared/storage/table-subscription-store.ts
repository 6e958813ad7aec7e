import { odata } from '@azure/data-tables';
import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import { subscriptionRecord } from './records.ts';
import type { SubscriptionStore } from './stores.ts';
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

  getById(subscriptionId: string): Promise<CalendarSubscription | null> {
    return this.#read(BY_ID, subscriptionId);
  }

  async put(subscription: CalendarSubscription): Promise<void> {
    const previous = await this.getByUser(subscription.userId);
    const json = JSON.stringify(subscription);
    await this.#table.run('write subscription', async (client) => {
      await client.upsertEntity({ partitionKey: BY_ID, rowKey: encodeKey(subscription.id), json }, 'Replace');
      await client.upsertEntity(
        { partitionKey: BY_USER, rowKey: encodeKey(subscription.userId), json },
        'Replace',
      );
    });
    if (previous !== null && previous.id !== subscription.id) {
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
