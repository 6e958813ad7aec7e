import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anAppointment, aSimUser } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline, wholeSecondIn } from './support/live-pipeline.ts';

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
    pipeline.sim.setDown(30_000);
    const back = Date.now() + 30_000;

    await eventually(
      'both users shown right after the outage',
      () => [pipeline.sim.presenceOf('601'), pipeline.sim.presenceOf('602')],
      ([a, b]) => a?.availability === 'Meeting' && b?.availability === 'Available' && b.until === null,
      60_000,
    );
    const refused = pipeline.sim.requests.filter((r) => r.status === 0);
    assert.ok(refused.length >= 2, 'pushes were attempted during the outage');
    assert.ok(refused.every((r) => r.at < back));
    assert.equal(pipeline.sim.presenceOf('601')?.note, 'Long review');
    assert.ok(
      pipeline.sim.pushes.filter((p) => p.at >= back).every((p) => p.at < back + 15_000),
      'delivered within the back-off cap after the outage',
    );
    const lines = await pipeline.logLines();
    assert.ok(lines.some((l) => l.startsWith('PHONE-LiNK unreachable')));
    assert.ok(lines.includes('PHONE-LiNK connection online'));
  });
});
