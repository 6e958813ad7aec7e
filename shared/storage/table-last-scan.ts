import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Instant } from '../presence/model.ts';
import type { LastScan, LastScanStore } from './stores.ts';
import { double, type Table } from './table.ts';

/**
 * The deployment's last scan in a row of its own (beside the runtime settings), written with
 * its etag: of instances starting together, one claims the scan and the others see it taken.
 */
const PARTITION = 'scan';
const ROW = 'last';
const lastScanRow = z.object({ at: z.number(), etag: z.string() });

export class TableLastScanStore implements LastScanStore {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async read(): Promise<LastScan> {
    const row = lastScanRow.safeParse(await this.#table.getOrNull(PARTITION, ROW));
    return row.success ? { at: row.data.at, etag: row.data.etag } : { at: null, etag: null };
  }

  async claim(at: Instant, seen: LastScan): Promise<boolean> {
    const entity = { partitionKey: PARTITION, rowKey: ROW, at: double(at) };
    try {
      await this.#table.run('claim the scan', (client) =>
        seen.etag === null
          ? client.createEntity(entity)
          : client.updateEntity(entity, 'Replace', { etag: seen.etag }),
      );
      return true;
    } catch (error) {
      // 409 (made meanwhile) or 412 (changed meanwhile): another instance took this scan.
      if (error instanceof AppError && error.code === 'storage.conflict') return false;
      throw error;
    }
  }

  async release(seen: LastScan): Promise<void> {
    if (seen.at === null) {
      await this.#table.deleteIfExists(PARTITION, ROW);
      return;
    }
    await this.#table.run('give the scan back', (client) =>
      client.upsertEntity({ partitionKey: PARTITION, rowKey: ROW, at: double(seen.at) }, 'Replace'),
    );
  }
}
