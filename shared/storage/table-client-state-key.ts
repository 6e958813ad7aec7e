import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { statusOf, storageError } from './storage-error.ts';
import type { Table } from './table.ts';

/**
 * The deployment's key for clientStates, made by whichever process needs it first and kept in
 * a row of its own (the table also holds the clientStates themselves, so it is no weaker a place).
 */
const PARTITION = 'keys';
const ROW = 'clientState';
const keyRow = z.object({ key: z.string().min(1) });

export function tableClientStateKey(table: Table): () => Promise<Buffer> {
  return async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = keyRow.safeParse(await table.getOrNull(PARTITION, ROW));
      if (found.success) return Buffer.from(found.data.key, 'base64');
      const client = await table.client();
      try {
        await client.createEntity({
          partitionKey: PARTITION,
          rowKey: ROW,
          key: randomBytes(32).toString('base64'),
        });
      } catch (error) {
        // Another process made it first: read theirs.
        if (statusOf(error) !== 409) throw storageError(`create the clientState key in ${table.name}`, error);
      }
    }
    throw new AppError('storage.conflict', 'Storage: the clientState key could not be read back');
  };
}
