import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { optionalString } from './records.ts';
import { statusOf } from './storage-error.ts';
import type { DirectoryUser, UserRecord, UserStore } from './stores.ts';
import { double, encodeKey, type Table } from './table.ts';

/** The directory: one partition, one row per PHONE-LiNK user (replaced 100 rows per transaction). */
const PARTITION = 'user';

const userRow = z.object({
  id: z.string(),
  name: z.string(),
  email: optionalString,
  integrated: z.boolean(),
  skipReason: optionalString,
  updatedAt: z.number(),
  directoryId: optionalString,
  directoryIdEmail: optionalString,
});

function fromRow(row: unknown): UserRecord {
  const { directoryId, directoryIdEmail, ...user } = userRow.parse(row);
  return directoryId === null || directoryIdEmail === null
    ? user
    : { ...user, directoryUser: { id: directoryId, email: directoryIdEmail } };
}

export class TableUserStore implements UserStore {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async list(): Promise<readonly UserRecord[]> {
    const rows = await this.#table.query(odata`PartitionKey eq ${PARTITION}`);
    return rows.map(fromRow);
  }

  async get(id: string): Promise<UserRecord | null> {
    const row = await this.#table.getOrNull(PARTITION, encodeKey(id));
    return row === null ? null : fromRow(row);
  }

  async replaceAll(users: readonly UserRecord[]): Promise<void> {
    const existing = await this.#table.rowKeys(odata`PartitionKey eq ${PARTITION}`);
    const keep = new Set(users.map((u) => encodeKey(u.id)));
    const actions: TransactionAction[] = users.map((user) => ['upsert', toRow(user), 'Replace']);
    for (const rowKey of existing) {
      if (!keep.has(rowKey)) actions.push(['delete', { partitionKey: PARTITION, rowKey }]);
    }
    await this.#table.submitInBatches(actions);
  }

  async put(user: UserRecord): Promise<void> {
    await this.#table.run('write user', (client) => client.upsertEntity(toRow(user), 'Replace'));
  }

  async saveDirectoryUsers(
    entries: readonly { readonly userId: string; readonly directoryUser: DirectoryUser }[],
  ): Promise<void> {
    // Merges of the two properties: the rest of each record stays as the last directory sync wrote it.
    const entity = ({ userId, directoryUser }: (typeof entries)[number]) => ({
      partitionKey: PARTITION,
      rowKey: encodeKey(userId),
      directoryId: directoryUser.id,
      directoryIdEmail: directoryUser.email,
    });
    try {
      await this.#table.submitInBatches(
        entries.map((entry): TransactionAction => ['update', entity(entry), 'Merge']),
      );
    } catch {
      // A user left the directory meanwhile (a transaction fails whole): one by one, skipping the gone.
      for (const entry of entries) {
        await this.#table.run('write user', async (client) => {
          try {
            await client.updateEntity(entity(entry), 'Merge');
          } catch (error) {
            if (statusOf(error) !== 404) throw error;
          }
        });
      }
    }
  }
}

function toRow(user: UserRecord) {
  return {
    partitionKey: PARTITION,
    rowKey: encodeKey(user.id),
    id: user.id,
    name: user.name,
    email: user.email,
    integrated: user.integrated,
    skipReason: user.skipReason,
    updatedAt: double(user.updatedAt),
    directoryId: user.directoryUser?.id ?? null,
    directoryIdEmail: user.directoryUser?.email ?? null,
  };
}
