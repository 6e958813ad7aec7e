import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupedWakeUps } from '../../shared/presence-sync/wake-ups.ts';
import { presenceGroupMessage, presenceMessage, type WorkQueues } from '../../shared/queues/messages.ts';
import { utc } from '../support/builders.ts';

const NOW = utc('2026-11-24T08:00:00Z');
const NINE = utc('2026-11-24T09:00:00Z');
const TEN = utc('2026-11-24T10:00:00Z');

/** A queue that keeps what is sent; `fail` makes the next sends throw. */
function aQueue() {
  const sent: { message: unknown; delaySeconds: number }[] = [];
  let failing = false;
  const queues: WorkQueues = {
    async send(_queue, message, delaySeconds = 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failing) throw new Error('queue down');
      sent.push({ message, delaySeconds });
    },
  };
  return { queues, sent, fail: () => (failing = true) };
}

/** Every (user, instant) the sent messages wake. */
function woken(sent: readonly { message: unknown }[]): string[] {
  return sent.flatMap(({ message }) => {
    const group = presenceGroupMessage.safeParse(message);
    if (group.success) return group.data.userIds.map((id) => `${id}@${group.data.wakeAt}`);
    const single = presenceMessage.parse(message);
    return [`${single.userId}@${single.wakeAt}`];
  });
}

describe('§2 wake-ups of users whose next transition is the same instant', () => {
  it('puts users scheduled together for one instant into one message, delayed until it', async () => {
    const { queues, sent } = aQueue();
    const wakeUps = new GroupedWakeUps(queues, () => NOW);
    await Promise.all(['1', '2', '3'].map((id) => wakeUps.schedule(id, NINE)));
    assert.equal(sent.length, 1);
    assert.deepEqual(presenceGroupMessage.parse(sent[0]?.message), {
      userIds: ['1', '2', '3'],
      reason: 'transition',
      wakeAt: NINE,
    });
    assert.equal(sent[0]?.delaySeconds, 3600);
  });

  it('keeps instants apart, sends a lone user as a plain wake-up, and at most 20 users a message', async () => {
    const { queues, sent } = aQueue();
    const wakeUps = new GroupedWakeUps(queues, () => NOW);
    const many = Array.from({ length: 45 }, (_, i) => String(100 + i));
    await Promise.all([...many.map((id) => wakeUps.schedule(id, NINE)), wakeUps.schedule('7', TEN)]);
    assert.deepEqual(woken(sent).sort(), [...many.map((id) => `${id}@${NINE}`), `7@${TEN}`].sort());
    assert.deepEqual(
      sent
        .map(({ message }) => presenceGroupMessage.safeParse(message).data?.userIds.length ?? 1)
        .sort((a, b) => a - b),
      [1, 5, 20, 20],
    );
    assert.ok(presenceMessage.safeParse(sent.find((s) => woken([s])[0] === `7@${TEN}`)?.message).success);
  });

  it('gathers users scheduled while a message is being written into the next', async () => {
    const { queues, sent } = aQueue();
    const wakeUps = new GroupedWakeUps(queues, () => NOW);
    const first = wakeUps.schedule('1', NINE);
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, wakeUps.schedule('2', NINE), wakeUps.schedule('3', NINE)]);
    assert.deepEqual(woken(sent), [`1@${NINE}`, `2@${NINE}`, `3@${NINE}`]);
    assert.equal(sent.length, 2);
  });

  it('fails every caller whose message could not be written, so none believes its wake-up queued', async () => {
    const { queues, fail } = aQueue();
    const wakeUps = new GroupedWakeUps(queues, () => NOW);
    fail();
    const results = await Promise.allSettled(['1', '2'].map((id) => wakeUps.schedule(id, NINE)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });

  it('refuses a transition group without its instant', () => {
    assert.equal(presenceGroupMessage.safeParse({ userIds: ['1'], reason: 'transition' }).success, false);
    assert.equal(
      presenceGroupMessage.safeParse({ userIds: ['1'], reason: 'calendar-changed', wakeAt: NINE }).success,
      false,
    );
  });
});
