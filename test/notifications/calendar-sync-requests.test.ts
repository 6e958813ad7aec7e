import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../shared/errors.ts';
import { CalendarSyncRequests } from '../../shared/notifications/calendar-sync-requests.ts';
import type { Instant } from '../../shared/presence/model.ts';
import type { QUEUES, WorkQueues } from '../../shared/queues/messages.ts';
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

describe('§5 a change notice is acknowledged only once a queued read covers it', () => {
  it('refuses a notice absorbed into a trailing read whose queue write then fails', async () => {
    const queues = new HeldQueues();
    const requests = new CalendarSyncRequests(queues, () => at('00.000'));
    const leading = requests.request(['201'], at('00.000'), 'notification');
    (await queues.nextWrite()).settle(false);
    assert.equal(await leading, true);

    const trailing = requests.request(['201'], at('00.200'), 'notification');
    const trailingWrite = await queues.nextWrite();
    // Absorbed by the trailing read, whose write is still under way.
    const absorbed = requests.request(['201'], at('00.400'), 'notification');
    trailingWrite.settle(true);

    assert.deepEqual(await Promise.all([trailing, absorbed]), [false, false]);
  });

  it('acknowledges a notice absorbed into a trailing read once that read is queued', async () => {
    const queues = new HeldQueues();
    const requests = new CalendarSyncRequests(queues, () => at('00.000'));
    const leading = requests.request(['201'], at('00.000'), 'notification');
    (await queues.nextWrite()).settle(false);
    await leading;
    const trailing = requests.request(['201'], at('00.200'), 'notification');
    const trailingWrite = await queues.nextWrite();
    const absorbed = requests.request(['201'], at('00.400'), 'notification');
    trailingWrite.settle(false);

    assert.deepEqual(await Promise.all([trailing, absorbed]), [true, true]);
    assert.equal(queues.writes.length, 2);
  });
});
