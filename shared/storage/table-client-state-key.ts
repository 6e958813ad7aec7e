import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CLIENT_STATE_VALID_MS, type ClientStateKeys } from '../calendar/client-states.ts';
import { AppError } from '../errors.ts';
import type { Instant } from '../presence/model.ts';
import { statusOf, storageError } from './storage-error.ts';
import { double, type Table } from './table.ts';

/**
 * The deployment's keys for clientStates, made by whichever process needs them first and kept
 * in a row of their own (the table also holds the clientStates themselves, so it is no weaker a
 * place): the current key and, after a rotation, the previous one and when it was replaced.
 */
const PARTITION = 'keys';
const ROW = 'clientState';
const keyRow = z.object({
  key: z.string().min(1),
  previousKey: z.string().min(1).nullish(),
  rotatedAt: z.number().nullish(),
  etag: z.string(),
});

const newKey = () => randomBytes(32).toString('base64');

export function tableClientStateKey(table: Table): () => Promise<ClientStateKeys> {
  return async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = keyRow.safeParse(await table.getOrNull(PARTITION, ROW));
      if (found.success) return keysOf(found.data);
      const client = await table.client();
      try {
        await client.createEntity({ partitionKey: PARTITION, rowKey: ROW, key: newKey() });
      } catch (error) {
        // Another process made it first: read theirs.
        if (statusOf(error) !== 409) throw storageError(`create the clientState key in ${table.name}`, error);
      }
    }
    throw new AppError('storage.conflict', 'Storage: the clientState key could not be read back');
  };
}

/**
 * Makes a new current key; the one it replaces keeps verifying the states it signed for one
 * validity. Refused (with the first instant it may be made) while the previous rotation's
 * validity runs: the key before would be dropped while its states may still be in use.
 */
export async function rotateClientStateKey(
  table: Table,
  now: Instant,
): Promise<{ readonly rotated: true } | { readonly rotated: false; readonly notBefore: Instant }> {
  const current = keyRow.safeParse(await table.getOrNull(PARTITION, ROW));
  if (!current.success) {
    // No key yet: the one made now is the first.
    await tableClientStateKey(table)();
    return { rotated: true };
  }
  const { rotatedAt } = current.data;
  if (rotatedAt != null && now < rotatedAt + CLIENT_STATE_VALID_MS) {
    return { rotated: false, notBefore: rotatedAt + CLIENT_STATE_VALID_MS };
  }
  await table.run('rotate the clientState key', (client) =>
    client.updateEntity(
      {
        partitionKey: PARTITION,
        rowKey: ROW,
        key: newKey(),
        previousKey: current.data.key,
        rotatedAt: double(now),
      },
      'Replace',
      { etag: current.data.etag },
    ),
  );
  return { rotated: true };
}

function keysOf(row: z.infer<typeof keyRow>): ClientStateKeys {
  return {
    current: Buffer.from(row.key, 'base64'),
    previous: row.previousKey == null ? null : Buffer.from(row.previousKey, 'base64'),
    rotatedAt: row.rotatedAt ?? null,
  };
}
