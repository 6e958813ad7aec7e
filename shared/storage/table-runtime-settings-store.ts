import { z } from 'zod';
import { FreshRead } from '../runtime/fresh-read.ts';
import type { RuntimeSettingsStore } from './stores.ts';
import type { Table } from './table.ts';

/**
 * One row; each setting is its own property, so `put` merges the given names atomically
 * (an upsert in merge mode) and never loses a concurrent change of another setting.
 */
const PARTITION = 'runtime';
const ROW = 'settings';
const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp']);
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const settingValue = z.union([z.string(), z.number(), z.boolean()]);

type Values = Readonly<Record<string, string | number | boolean>>;

/**
 * Every recalculation reads "Activate" here, and a scan's recalculations ask at once: they
 * share reads, each begun after its caller asked, so none acts on a value older than its call.
 */
export class TableRuntimeSettingsStore implements RuntimeSettingsStore {
  readonly #table: Table;
  readonly #reads = new FreshRead(() => this.#read());

  constructor(table: Table) {
    this.#table = table;
  }

  get(): Promise<Values> {
    return this.#reads.get();
  }

  async #read(): Promise<Values> {
    const row = await this.#table.getOrNull(PARTITION, ROW);
    const values: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(row ?? {})) {
      const parsed = settingValue.safeParse(value);
      // Skips system properties and OData annotations (`odata.metadata`; names cannot hold a dot).
      if (!SYSTEM.has(key) && PROPERTY_NAME.test(key) && parsed.success) values[key] = parsed.data;
    }
    return values;
  }

  /** Merges: names not given keep their stored value. */
  async put(values: Values): Promise<void> {
    await this.#table.run('write settings', (client) =>
      client.upsertEntity({ partitionKey: PARTITION, rowKey: ROW, ...values }, 'Merge'),
    );
  }
}
