import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QUEUES } from '../../shared/queues/messages.ts';
import { anAppointment } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline, wholeSecondIn } from './support/live-pipeline.ts';

/** host.json maxDequeueCount: the tries after which the host moves a failing message to `-poison`. */
const MAX_DEQUEUE_COUNT = 5;

describe('§2 a presence update PHONE-LiNK keeps refusing stays out of the poison queue', {
  timeout: 180_000,
}, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({
      users: [{ id: '801', name: 'User 801', email: 'u801@contoso.com', calendarIntegration: true }],
    });
  });
  after(() => pipeline.stop());

  it('retries it with back-off past maxDequeueCount tries, and delivers it once accepted', async () => {
    // PHONE-LiNK rejects the body: an answer that may be fixed on its side at any time.
    pipeline.sim.setFault({ status: 400 });
    await pipeline.seed('801', [
      anAppointment({ start: wholeSecondIn(-60_000), end: wholeSecondIn(600_000) }),
    ]);
    const refused = await eventually(
      'more refused tries than the host allows a message',
      () => pipeline.sim.requests.filter((r) => r.userId === '801'),
      (requests) => requests.length > MAX_DEQUEUE_COUNT,
      90_000,
    );
    assert.ok(refused.every((r) => r.status === 400));
    const poison = await pipeline.queues.queue(`${QUEUES.presence}-poison`);
    assert.deepEqual((await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems, []);
    const lines = await pipeline.logLines();
    assert.ok(!lines.some((l) => l.includes('moved to presence-poison')));
    assert.ok(lines.some((l) => l.startsWith('PHONE-LiNK unreachable') && l.includes('unexpected 400')));

    pipeline.sim.setFault(null);
    await eventually(
      'the update delivered',
      () => pipeline.sim.presenceOf('801')?.availability,
      (availability) => availability === 'Meeting',
      30_000,
    );
  });
});
