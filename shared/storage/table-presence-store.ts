import { z } from 'zod';
import { optionalNumber, overrideRecord, presenceBodyRecord } from './records.ts';
import { statusOf, storageError } from './storage-error.ts';
import type { PresenceRecord, PresenceStore } from './stores.ts';
import { double, encodeKey, parseJson, type Table } from './table.ts';

/**
 * One row per user (its own partition, so users never contend). `save` is optimistic: it writes
 * only while the etag the caller read is still current, so two workers never both push a sequence.
 */
const ROW = 'presence';

const presenceRow = z.object({
  userId: z.string(),
  lastPushed: z.string().nullish(),
  lastPushedAt: optionalNumber,
  sequence: z.number().int(),
  override: z.string().nullish(),
  wakeAt: optionalNumber,
  lastNotificationAt: optionalNumber,
  etag: z.string(),
});

export class TablePresenceStore implements PresenceStore {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async get(userId: string): Promise<PresenceRecord | null> {
    const row = await this.#table.getOrNull(encodeKey(userId), ROW);
    return row === null ? null : fromRow(row);
  }

  async save(record: PresenceRecord): Promise<boolean> {
    return (await this.saveForEtag(record)) !== null;
  }

  async saveForEtag(record: PresenceRecord): Promise<string | null> {
    const entity = {
      partitionKey: encodeKey(record.userId),
      rowKey: ROW,
      userId: record.userId,
      lastPushed: record.lastPushed === null ? null : JSON.stringify(record.lastPushed),
      lastPushedAt: double(record.lastPushedAt),
      sequence: double(record.sequence),
      override: record.override === null ? null : JSON.stringify(record.override),
      wakeAt: double(record.wakeAt),
      lastNotificationAt: double(record.lastNotificationAt),
    };
    const client = await this.#table.client();
    try {
      const written =
        record.etag === null
          ? await client.createEntity(entity)
          : await client.updateEntity(entity, 'Replace', { etag: record.etag });
      // Without an etag in the answer the next write reads the record first, as it would anyway.
      return written.etag ?? '';
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412 || (status === 404 && record.etag !== null)) return null;
      throw storageError(`save presence in ${this.#table.name}`, error);
    }
  }

  async list(): Promise<readonly PresenceRecord[]> {
    const rows = await this.#table.query(`RowKey eq '${ROW}'`);
    return rows.map(fromRow);
  }
}

function fromRow(row: unknown): PresenceRecord {
  const r = presenceRow.parse(row);
  return {
    userId: r.userId,
    lastPushed: r.lastPushed == null ? null : presenceBodyRecord.parse(parseJson(r.lastPushed)),
    lastPushedAt: r.lastPushedAt,
    sequence: r.sequence,
    override: r.override == null ? null : overrideRecord.parse(parseJson(r.override)),
    wakeAt: r.wakeAt,
    lastNotificationAt: r.lastNotificationAt,
    etag: r.etag,
  };
}
