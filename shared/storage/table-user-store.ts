import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { optionalString } from './records.ts';
import type { DirectoryUser, RefusedUser, UserRecord, UserStore } from './stores.ts';
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

  async replaceAll(users: readonly UserRecord[]): Promise<readonly RefusedUser[]> {
    const existing = await this.#table.rowKeys(odata`PartitionKey eq ${PARTITION}`);
    const byKey = new Map(users.map((u) => [encodeKey(u.id), u]));
    const actions: TransactionAction[] = users.map((user) => ['upsert', toRow(user), 'Replace']);
    for (const rowKey of existing) {
      if (!byKey.has(rowKey)) actions.push(['delete', { partitionKey: PARTITION, rowKey }]);
    }
    const refused: RefusedUser[] = [];
    // A refused delete leaves a row the next sync removes; a refused user is not kept at all.
    for (const { action, error } of await this.#table.writeInBatches(actions)) {
      const user = action[0] === 'upsert' ? byKey.get(action[1].rowKey) : undefined;
      if (user === undefined) continue;
      await this.#table.deleteIfExists(PARTITION, action[1].rowKey);
      refused.push({ user, reason: error.message });
    }
    return refused;
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
    // Refused: the user left the directory meanwhile (404), or the service would not keep the
    // pair; either way the next scan resolves the address again.
    await this.#table.writeInBatches(
      entries.map((entry): TransactionAction => ['update', entity(entry), 'Merge']),
    );
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
