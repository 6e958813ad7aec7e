import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite } from '../../dev/azurite.ts';
import { type RunningFunctionsHost, startFunctionsHost } from '../../dev/host/functions-host.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { encodeMessage } from '../../shared/queues/storage-work-queues.ts';
import { createStorageClients } from '../../shared/storage/storage-clients.ts';
import { Table } from '../../shared/storage/table.ts';
import { TableAdminLog } from '../../shared/storage/table-admin-log.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
type Fixture = typeof import('./fixtures/queues/work.ts')['fixture'];

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('§2 local functions host: storage-queue triggers honour host.json', () => {
  let stopAzurite: () => Promise<void>;
  let connectionString: string;
  let work: QueueClient;
  let poison: QueueClient;
  let log: TableAdminLog;
  let fixture: Fixture;
  const hosts: RunningFunctionsHost[] = [];

  const start = async (options: { stopGraceMs?: number; queueLeaseMs?: number } = {}) => {
    const host = await startFunctionsHost({
      port: 0,
      functionsDir: join(fixtures, 'queues'),
      hostJsonPath: join(fixtures, 'queues.host.json'),
      settingsDir: fixtures,
      env: { AzureWebJobsStorage: connectionString },
      print: () => undefined,
      ...options,
    });
    hosts.push(host);
    return host;
  };

  before(async () => {
    const azurite = await startAzurite();
    stopAzurite = azurite.stop;
    connectionString = azurite.connectionString;
    work = new QueueClient(connectionString, 'work');
    poison = new QueueClient(connectionString, 'work-poison');
    await work.createIfNotExists();
    await poison.createIfNotExists();
    const storage = createStorageClients(loadSettings({ AzureWebJobsStorage: connectionString }).storage);
    log = new TableAdminLog(new Table(storage.table('adminlog')));
    fixture = (await import('./fixtures/queues/work.ts')).fixture;
  });

  beforeEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
    await work.clearMessages();
    await poison.clearMessages();
    fixture.seen.length = 0;
    fixture.failAttempts.clear();
    fixture.hold = null;
    fixture.holdMs = 0;
    fixture.maxRunning = 0;
  });

  after(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
    await stopAzurite();
  });

  it('decodes base64, then JSON when it is JSON, else hands over the text', async () => {
    await start();
    await work.sendMessage(encodeMessage({ id: 'a', n: 1 }));
    await work.sendMessage(Buffer.from('plain text').toString('base64'));
    await eventually(() => fixture.seen.length === 2);
    assert.deepEqual(
      fixture.seen
        .map((s) => s.value)
        .sort((a, b) => (typeof a === 'string' ? 1 : typeof b === 'string' ? -1 : 0)),
      [{ id: 'a', n: 1 }, 'plain text'],
    );
    await eventually(async () => (await work.getProperties()).approximateMessagesCount === 0);
  });

  it('runs a batch in parallel, never more than batchSize + newBatchThreshold at once', async () => {
    fixture.holdMs = 300;
    await start();
    await Promise.all(Array.from({ length: 12 }, (_, i) => work.sendMessage(encodeMessage({ id: `m${i}` }))));
    await eventually(() => fixture.seen.length === 12);
    assert.ok(fixture.maxRunning > 1, 'in parallel');
    assert.ok(
      fixture.maxRunning <= 4 + 2,
      `at most batchSize + newBatchThreshold, saw ${fixture.maxRunning}`,
    );
  });

  it('retries a failed message after the visibility timeout', async () => {
    fixture.failAttempts.set('retry-me', 1);
    await start();
    await work.sendMessage(encodeMessage({ id: 'retry-me' }));
    await eventually(() => fixture.seen.length === 2);
    const [first, second] = fixture.seen;
    assert.deepEqual([first?.dequeueCount, second?.dequeueCount], [1, 2]);
    assert.ok(
      (second?.at ?? 0) - (first?.at ?? 0) >= 900,
      'visible again only after visibilityTimeout (1 s)',
    );
    await eventually(async () => (await work.getProperties()).approximateMessagesCount === 0);
    assert.equal((await poison.peekMessages()).peekedMessageItems.length, 0);
  });

  it('moves a message to <queue>-poison after maxDequeueCount attempts and logs why', async () => {
    fixture.failAttempts.set('bad', 99);
    await start();
    const text = encodeMessage({ id: 'bad' });
    await work.sendMessage(text);
    await eventually(async () => (await poison.peekMessages()).peekedMessageItems.length === 1, 15_000);
    assert.equal(fixture.seen.length, 3);
    assert.equal((await poison.peekMessages()).peekedMessageItems[0]?.messageText, text);
    const lines = (await log.readAfter(null, 100)).map((e) => e.line);
    assert.ok(
      lines.some((l) => l.includes('moved to work-poison') && l.includes('refused attempt 3 of bad')),
      lines.join('\n'),
    );
  });

  it('moves a message that is not base64 to the poison queue at once, with the reason', async () => {
    await start();
    await work.sendMessage('{"not":"base64"}');
    await eventually(async () => (await poison.peekMessages()).peekedMessageItems.length === 1);
    assert.equal(fixture.seen.length, 0);
    const lines = (await log.readAfter(null, 100)).map((e) => e.line);
    assert.ok(lines.some((l) => l.includes('not base64')));
  });

  it('loses no message in flight when the host stops mid-batch: it reappears after its lease', async () => {
    let release = (): void => undefined;
    fixture.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await start({ stopGraceMs: 0, queueLeaseMs: 1_000 });
    await Promise.all(['k1', 'k2', 'k3'].map((id) => work.sendMessage(encodeMessage({ id }))));
    await eventually(() => fixture.seen.length === 3);
    await first.stop();
    fixture.hold = null;
    fixture.seen.length = 0;
    await start({ queueLeaseMs: 1_000 });
    await eventually(() => fixture.seen.length === 3);
    assert.deepEqual(fixture.seen.map((s) => (s.value as { id: string }).id).sort(), ['k1', 'k2', 'k3']);
    assert.ok(fixture.seen.every((s) => s.dequeueCount === 2));
    release();
    await eventually(async () => (await work.getProperties()).approximateMessagesCount === 0);
  });
});
