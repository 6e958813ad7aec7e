// The storage emulator's own cost per operation as its tables and queues grow, apart from the
// product: which side a Graph bench figure that grows faster than the users comes from (issue
// "scale", point 3). A table point read and write at 2,000 and 20,000 rows; a queue receive of 8
// messages and their deletes beside 0, 2,000 and 20,000 delayed messages (a deployment keeps a
// delayed wake-up for about every user group). Azure Storage serves both in constant time; Azurite
// keeps a queue's messages in one in-memory collection and looks through it on every receive.
// No target: it prints the figures, median of the operations timed.
import { TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../dev/azurite.ts';

const TIMED = 200;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function timed(times: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  const took: number[] = [];
  for (let i = 0; i < times; i++) {
    const from = performance.now();
    await operation(i);
    took.push(performance.now() - from);
  }
  return median(took);
}

/** Many writes, 50 at a time. */
async function fill(count: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => write(i + j)));
}

const lines: string[] = [];
for (const rows of [2_000, 20_000]) {
  const azurite = await startAzurite();
  try {
    const table = TableClient.fromConnectionString(azurite.connectionString, 'calendars', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const key = (i: number) => String(10_000 + ((i * 37) % rows));
    await fill(rows, (i) =>
      table.createEntity({ partitionKey: String(10_000 + i), rowKey: 'meta', data: 'x'.repeat(500) }),
    );
    const read = await timed(TIMED, (i) => table.getEntity(key(i), 'meta'));
    const write = await timed(TIMED, (i) =>
      table.upsertEntity({ partitionKey: key(i), rowKey: 'meta', data: 'y'.repeat(500) }, 'Replace'),
    );
    lines.push(`table of ${rows} rows: point read ${read.toFixed(2)} ms, point write ${write.toFixed(2)} ms`);
  } finally {
    await azurite.stop();
  }
}
for (const delayed of [0, 2_000, 20_000]) {
  const azurite = await startAzurite();
  try {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('work');
    await queue.create();
    await fill(delayed, () => queue.sendMessage('later', { visibilityTimeout: 3600 }));
    await fill(8 * 40, () => queue.sendMessage('now'));
    const receive = await timed(40, async () => {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 8 });
      await Promise.all(receivedMessageItems.map((m) => queue.deleteMessage(m.messageId, m.popReceipt)));
    });
    lines.push(`queue with ${delayed} delayed messages: receive 8 and delete them ${receive.toFixed(1)} ms`);
  } finally {
    await azurite.stop();
  }
}
console.log('Azurite, cost per operation as it grows (median):');
for (const line of lines) console.log(`  ${line}`);
