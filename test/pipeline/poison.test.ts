import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { presenceMessage, QUEUES } from '../../shared/queues/messages.ts';
import { anAppointment } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline, wholeSecondIn } from './support/live-pipeline.ts';

describe('§2 a message that keeps failing goes to the poison queue', { timeout: 180_000 }, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({
      users: [{ id: '801', name: 'User 801', email: 'u801@contoso.com', calendarIntegration: true }],
    });
  });
  after(() => pipeline.stop());

  it('lands in presence-poison after maxDequeueCount attempts, with its reason in the log', async () => {
    // PHONE-LiNK rejects the body: an answer no retry can fix.
    pipeline.sim.setFault({ status: 400 });
    await pipeline.seed('801', [
      anAppointment({ start: wholeSecondIn(60_000), end: wholeSecondIn(120_000) }),
    ]);
    const poison = await pipeline.queues.queue(`${QUEUES.presence}-poison`);
    const peeked = await eventually(
      'the message in presence-poison',
      async () => (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems,
      (items) => items.length > 0,
      90_000,
    );
    const body = presenceMessage.parse(
      JSON.parse(Buffer.from(peeked[0]?.messageText ?? '', 'base64').toString()),
    );
    assert.equal(body.userId, '801');
    const lines = await pipeline.logLines();
    assert.ok(
      lines.some((l) => l.includes('moved to presence-poison') && l.includes('400')),
      'the poison line names the reason',
    );
    assert.ok(lines.some((l) => l.startsWith('Presence recalculation of user 801 failed (attempt 5)')));
    pipeline.sim.setFault(null);
  });
});
