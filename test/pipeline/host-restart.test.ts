import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anAppointment, aSimUser } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline, wholeSecondIn } from './support/live-pipeline.ts';

const USERS = Array.from({ length: 40 }, (_, i) => String(700 + i));
const TAKEN_BEFORE_KILL = 5;

describe('§2 the host killed in the middle of a batch and restarted converges', { timeout: 240_000 }, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({
      users: USERS.map((id) => aSimUser(id)),
      // A killed host's messages reappear once their lease runs out.
      queueLeaseMs: 4000,
    });
  });
  after(() => pipeline.stop());

  it('shows every user in the meeting after a kill during the transition', async () => {
    // The transition batch is held at a known point: five meeting pushes taken, the rest waiting
    // unanswered, so the kill lands mid-batch however slow the machine is.
    pipeline.sim.holdPushes({
      after: TAKEN_BEFORE_KILL,
      matching: (push) => push.body.availability === 'Meeting',
    });
    const start = wholeSecondIn(5000);
    for (const id of USERS) {
      await pipeline.seed(id, [anAppointment({ subject: `Meeting ${id}`, start, end: start + 600_000 })]);
    }
    await eventually(
      'the first pushes',
      () => pipeline.sim.pushes.length + pipeline.sim.heldPushes,
      (n) => n >= USERS.length,
      60_000,
    );
    const meetings = () => pipeline.sim.pushes.filter((p) => p.body.availability === 'Meeting').length;
    await eventually(
      'the transition held mid-batch',
      () => pipeline.sim.heldPushes,
      (n) => n >= 1,
      30_000,
    );
    await pipeline.host.kill();
    const killedAfter = meetings();
    // The killed host's waiting pushes hang up and are dropped; then the batch may go on.
    await eventually(
      'the held pushes dropped',
      () => pipeline.sim.heldPushes,
      (n) => n === 0,
      10_000,
    );
    pipeline.sim.holdPushes(null);
    pipeline.host = await pipeline.startHost();

    const shown = await eventually(
      'every user in the meeting',
      () => USERS.map((id) => pipeline.sim.presenceOf(id)),
      (all) => all.every((p) => p?.availability === 'Meeting'),
      90_000,
    );
    assert.equal(killedAfter, TAKEN_BEFORE_KILL, 'the kill came mid-batch');
    assert.ok(shown.every((p, i) => p?.note === `Meeting ${USERS[i]}`));
    // Each user saw the meeting start once or, when the kill hit between push and record, twice; never Available after it.
    for (const id of USERS) {
      const after = pipeline.sim.pushes.filter((p) => p.userId === id && p.at >= start);
      assert.ok(after.length >= 1 && after.length <= 2, `user ${id}: ${after.length} pushes`);
      assert.ok(after.every((p) => p.body.availability === 'Meeting'));
    }
  });
});
