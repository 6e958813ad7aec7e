import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anAppointment, aSimUser } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline, wholeSecondIn } from './support/live-pipeline.ts';

/** What a user is shown: availability, until and note (JSON with these keys in this order). */
const SHOWN_KEYS = ['availability', 'until', 'note'];

describe('§4 PHONE-LiNK down for 30 s loses nothing', { timeout: 180_000 }, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({
      users: ['601', '602'].map((id) => aSimUser(id)),
    });
  });
  after(() => pipeline.stop());

  it('delivers every change made during the outage once PHONE-LiNK is back', async () => {
    const t0 = wholeSecondIn(4000);
    // 601 goes into a meeting during the outage and is still in it afterwards; 602's meeting
    // starts and ends inside the outage.
    await pipeline.seed('601', [anAppointment({ subject: 'Long review', start: t0, end: t0 + 600_000 })]);
    await pipeline.seed('602', [anAppointment({ subject: 'Quick call', start: t0, end: t0 + 5000 })]);
    await eventually(
      'the first pushes',
      () => pipeline.sim.pushes.length,
      (n) => n >= 2,
      10_000,
    );
    const requestsBefore = pipeline.sim.requests.length;
    const pushesBefore = pipeline.sim.pushes.length;
    pipeline.sim.setDown(30_000);

    await eventually(
      'both users shown right after the outage',
      () => [pipeline.sim.presenceOf('601'), pipeline.sim.presenceOf('602')],
      ([a, b]) => a?.availability === 'Meeting' && b?.availability === 'Available' && b.until === null,
      60_000,
    );
    // In the order PHONE-LiNK saw them: refused pushes, then only accepted ones.
    const since = pipeline.sim.requests.slice(requestsBefore);
    const firstAccepted = since.findIndex((r) => r.status === 204);
    assert.ok(
      since.slice(0, firstAccepted).filter((r) => r.status === 0).length >= 2,
      'pushes were attempted during the outage',
    );
    assert.ok(
      since.slice(firstAccepted).every((r) => r.status !== 0),
      'nothing refused once PHONE-LiNK was back',
    );
    // What came after the outage is the state as it is now: nothing stale was delivered late.
    const after = pipeline.sim.pushes.slice(pushesBefore);
    const shown = (userId: string) => [
      ...new Set(after.filter((p) => p.userId === userId).map((p) => JSON.stringify(p.body, SHOWN_KEYS))),
    ];
    const meetingEnd = new Date(t0 + 600_000).toISOString().replace('.000Z', 'Z');
    assert.deepEqual(shown('601'), [
      JSON.stringify({ availability: 'Meeting', until: meetingEnd, note: 'Long review' }, SHOWN_KEYS),
    ]);
    assert.deepEqual(shown('602'), [
      JSON.stringify({ availability: 'Available', until: null, note: null }, SHOWN_KEYS),
    ]);
    const lines = await pipeline.logLines();
    assert.ok(lines.some((l) => l.startsWith('PHONE-LiNK unreachable')));
    assert.ok(lines.includes('PHONE-LiNK connection online'));
  });
});
