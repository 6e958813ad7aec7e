import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../shared/errors.ts';
import { CalendarSyncRequests } from '../../shared/notifications/calendar-sync-requests.ts';
import type { Instant } from '../../shared/presence/model.ts';
import { calendarSyncMessage, type QUEUES, type WorkQueues } from '../../shared/queues/messages.ts';
import { utc } from '../support/builders.ts';

const at = (time: string): Instant => utc(`2026-11-24T09:00:${time}Z`);

/** A queue whose writes stay under way until the test settles them, in the order they were made. */
class HeldQueues implements WorkQueues {
  readonly writes: { readonly message: unknown; readonly settle: (failed: boolean) => void }[] = [];
  send(_queue: (typeof QUEUES)[keyof typeof QUEUES], message: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({
        message,
        settle: (failed) =>
          failed ? reject(new AppError('storage.unavailable', 'Storage: queue write failed')) : resolve(),
      });
    });
  }
  /** Lets the grouped send go out (it leaves on the next turn of the event loop). */
  async nextWrite(): Promise<HeldQueues['writes'][number]> {
    const count = this.writes.length;
    while (this.writes.length === count) await new Promise((resolve) => setImmediate(resolve));
    const write = this.writes.at(-1);
    assert.ok(write !== undefined);
    return write;
  }
}

describe('§5 a change notice is acknowledged only once its read is queued', () => {
  it('refuses the notices of a send whose queue write fails, and queues the next ones afresh', async () => {
    const queues = new HeldQueues();
    const requests = new CalendarSyncRequests(queues, () => at('00.000'));
    const first = requests.request(['201'], 'notification');
    (await queues.nextWrite()).settle(true);
    assert.equal(await first, false);
    const again = requests.request(['201'], 'notification');
    (await queues.nextWrite()).settle(false);
    assert.equal(await again, true);
  });

  it('gathers the notices that come while a send is under way into the next send', async () => {
    const queues = new HeldQueues();
    const requests = new CalendarSyncRequests(queues, () => at('00.000'));
    const sends = [requests.request(['201'], 'notification'), requests.request(['202'], 'notification')];
    const first = await queues.nextWrite();
    const later = [
      requests.request(['201'], 'notification'),
      requests.request(['203', '201'], 'notification'),
    ];
    first.settle(false);
    (await queues.nextWrite()).settle(false);
    assert.deepEqual(await Promise.all([...sends, ...later]), [true, true, true, true]);
    assert.deepEqual(
      queues.writes.map((write) => calendarSyncMessage.parse(write.message).userIds),
      [
        ['201', '202'],
        ['201', '203'],
      ],
    );
  });
});
