import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TableServiceClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../../dev/azurite.ts';

describe('§2 storage runs on Azurite started by the project', () => {
  it('starts on free ports, answers on queue and table endpoints, and stops', async () => {
    const azurite = await startAzurite({ inMemory: true });
    try {
      assert.match(azurite.connectionString, /QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
      assert.match(azurite.connectionString, /TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
      const queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
      await queues.createQueue('probe');
      const tables = TableServiceClient.fromConnectionString(azurite.connectionString, {
        allowInsecureConnection: true,
      });
      await tables.createTable('probe');
    } finally {
      await azurite.stop();
    }
  });

  it('runs two emulators side by side', async () => {
    const [a, b] = await Promise.all([startAzurite(), startAzurite()]);
    try {
      assert.notEqual(a.endpoints.queue, b.endpoints.queue);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
