import { createHash } from 'node:crypto';
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { AppError } from '../errors.ts';
import { isWellFormedText } from '../runtime/external-id.ts';
import { Limiter } from '../runtime/limiter.ts';
import { statusOf, storageError } from './storage-error.ts';

/**
 * One Azure table, created on first use (once per process), with SDK errors translated into
 * AppError. Table limits shape the stores: a property holds at most 64 KiB (32 Ki UTF-16 code
 * units), an entity 1 MiB, a transaction 100 operations of one partition.
 */
export class Table {
  readonly name: string;
  readonly #client: TableClient;
  #ready: Promise<void> | null = null;

  constructor(client: TableClient) {
    this.#client = client;
    this.name = client.tableName;
  }

  /** The client, once the table exists. */
  async client(): Promise<TableClient> {
    this.#ready ??= this.#client.createTable().catch((error: unknown) => {
      this.#ready = null;
      throw storageError(`create table ${this.name}`, error);
    });
    await this.#ready;
    return this.#client;
  }

  /** Runs one SDK call, translating its failure. */
  async run<T>(operation: string, call: (client: TableClient) => Promise<T>): Promise<T> {
    const client = await this.client();
    try {
      return await call(client);
    } catch (error) {
      throw storageError(`${operation} in ${this.name}`, error);
    }
  }

  async getOrNull(
    partitionKey: string,
    rowKey: string,
  ): Promise<TableEntityResult<Record<string, unknown>> | null> {
    const client = await this.client();
    try {
      return await client.getEntity(partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw storageError(`read ${this.name}`, error);
    }
  }

  async query(filter: string, select?: string[]): Promise<TableEntityResult<Record<string, unknown>>[]> {
    return this.run('query', async (client) => {
      const rows: TableEntityResult<Record<string, unknown>>[] = [];
      const queryOptions = select === undefined ? { filter } : { filter, select };
      for await (const row of client.listEntities({ queryOptions })) rows.push(row);
      return rows;
    });
  }

  /** The RowKeys matching `filter`. */
  async rowKeys(filter: string): Promise<string[]> {
    const rows = await this.query(filter, ['RowKey']);
    return rows.flatMap((row) => (row.rowKey === undefined ? [] : [row.rowKey]));
  }

  async deleteIfExists(partitionKey: string, rowKey: string): Promise<void> {
    const client = await this.client();
    try {
      await client.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) !== 404) throw storageError(`delete from ${this.name}`, error);
    }
  }

  /**
   * Actions of one partition, in transactions of at most 100 (each atomic, the whole not), a
   * few at once: the order among them carries no meaning. Throws when the service refuses any
   * of them; callers that can go on without some use `writeInBatches`.
   */
  async submitInBatches(actions: readonly TransactionAction[]): Promise<void> {
    const [first] = await this.writeInBatches(actions);
    if (first !== undefined) throw first.error;
  }

  /**
   * As `submitInBatches`, but a transaction the service refuses whole is done action by action
   * (one bad entity fails all 100 of its transaction; Azurite fails one over a value holding
   * U+2028 that it takes alone), and the actions refused on their own (a 4xx) are returned, in
   * order, instead of thrown. Outages (5xx, no answer) on their own still throw.
   */
  async writeInBatches(actions: readonly TransactionAction[]): Promise<readonly Refused[]> {
    const batches: TransactionAction[][] = [];
    for (let i = 0; i < actions.length; i += MAX_BATCH) batches.push(actions.slice(i, i + MAX_BATCH));
    const limiter = new Limiter(BATCHES_AT_ONCE);
    const refused = await Promise.all(batches.map((batch) => limiter.run(() => this.#writeBatch(batch))));
    return refused.flat();
  }

  async #writeBatch(batch: readonly TransactionAction[]): Promise<Refused[]> {
    const client = await this.client();
    try {
      await client.submitTransaction([...batch]);
      return [];
    } catch {
      // Whatever the transaction's failure was, each action alone says whether it is the cause.
      const refused: Refused[] = [];
      for (const action of batch) {
        try {
          await writeAlone(client, action);
        } catch (error) {
          const status = statusOf(error);
          if (status === undefined || status >= 500) throw storageError(`write to ${this.name}`, error);
          refused.push({ action, error: storageError(`write to ${this.name}`, error) });
        }
      }
      return refused;
    }
  }
}

/** An action the service refused on its own, with the error it answered. */
export interface Refused {
  readonly action: TransactionAction;
  readonly error: AppError;
}

/** One transaction action as a single call; deleting what is already gone is done. */
async function writeAlone(client: TableClient, action: TransactionAction): Promise<void> {
  switch (action[0]) {
    case 'create':
      await client.createEntity(action[1]);
      return;
    case 'delete':
      try {
        await client.deleteEntity(action[1].partitionKey, action[1].rowKey);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      return;
    case 'upsert':
      await client.upsertEntity(action[1], action[2]);
      return;
    case 'update':
      await client.updateEntity(action[1], action[2], action[3]);
      return;
  }
}

export const MAX_BATCH = 100;
/** Transactions under way at once in submitInBatches (a 10,000-user directory is 100 of them). */
const BATCHES_AT_ONCE = 8;

/**
 * A PartitionKey or RowKey for any id. Keys may not hold `/ \ # ?` or control characters and
 * are at most 1 KiB; ids may be anything. Percent-encoding (as keys were always written) keeps
 * them readable; an id whose encoding would not fit, or that is no well-formed text (a lone
 * surrogate cannot be percent-encoded), is keyed by its SHA-256 instead. The `%s` prefix is no
 * percent-escape, so a hashed key never equals an encoded one.
 */
export function encodeKey(id: string): string {
  if (isWellFormedText(id)) {
    const encoded = encodeURIComponent(id);
    if (encoded.length <= MAX_ENCODED_KEY_LENGTH) return encoded;
  }
  // UTF-16 code units, so that ids differing only in their lone surrogates keep apart.
  return `%sha256.${createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('base64url')}`;
}

/** Characters of a percent-encoded key (ASCII): half of 1 KiB, whether the service counts bytes or UTF-16 units. */
export const MAX_ENCODED_KEY_LENGTH = 512;

/** Text longer than one property holds is spread over `name_0`, `name_1`, … with `name_n` = parts. */
export const PART_LENGTH = 30_000;

export function splitText(text: string, partLength = PART_LENGTH): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + partLength, text.length);
    // Never split a surrogate pair: the service rejects a lone surrogate.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts.length === 0 ? [''] : parts;
}

export function chunkedProperties(name: string, text: string): Record<string, string | number> {
  const parts = splitText(text);
  const properties: Record<string, string | number> = { [`${name}_n`]: parts.length };
  parts.forEach((part, i) => {
    properties[`${name}_${i}`] = part;
  });
  return properties;
}

export function readChunked(entity: Readonly<Record<string, unknown>>, name: string): string | null {
  const count = entity[`${name}_n`];
  if (typeof count !== 'number') return null;
  let text = '';
  for (let i = 0; i < count; i++) {
    const part = entity[`${name}_${i}`];
    if (typeof part !== 'string') return null;
    text += part;
  }
  return text;
}

export function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Numbers are written as Edm.Double: an untyped whole number is stored as Int32 by the service,
 * and epoch milliseconds (and sequences derived from them) do not fit; a double holds them exactly.
 */
export function double(value: number): { value: number; type: 'Double' };
export function double(value: number | null): { value: number; type: 'Double' } | null;
export function double(value: number | null): { value: number; type: 'Double' } | null {
  return value === null ? null : { value, type: 'Double' };
}
