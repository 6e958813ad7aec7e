import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { wireMaintenance } from '../../shared/app/wire-sync.ts';
import { QUEUES } from '../../shared/queues/messages.ts';
import { encodeMessage } from '../../shared/queues/storage-work-queues.ts';
import { runMaintenance } from '../../shared/sync/maintenance.ts';
import { anAppointment, aSimUser } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline, wholeSecondIn } from './support/live-pipeline.ts';
import { storeReadCalendar } from './support/stored-calendar.ts';

const iso = (instant: number) => new Date(instant).toISOString().replace('.000Z', 'Z');

/** Stores a meeting `subject` that began a second ago, as a calendar read would, and queues nothing. */
async function storeMeetingNow(pipeline: LivePipeline, userId: string, subject: string): Promise<void> {
  const start = Date.now() - 1000;
  await storeReadCalendar(
    pipeline.services,
    userId,
    [anAppointment({ subject, start, end: start + 3600_000 })],
    {
      readAt: Date.now(),
      window: { start: start - 3600_000, end: start + 7 * 24 * 3600_000 },
    },
  );
}

describe('§4 no update is lost, and none waits for the next appointment', { timeout: 300_000 }, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({
      users: ['901', '902', '903', '904', '905'].map((id) => aSimUser(id)),
    });
  });
  after(() => pipeline.stop());

  const poisoned = async () => {
    const poison = await pipeline.queues.queue(`${QUEUES.presence}-poison`);
    return (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
  };
  /** What PHONE-LiNK answered this user, in order, from request `from` on. */
  const answers = (userId: string, from: number) =>
    pipeline.sim.requests
      .slice(from)
      .filter((r) => r.userId === userId)
      .map((r) => r.status);

  it('PHONE-LiNK answering 400 for a minute across transitions: each user is shown right once it recovers', async () => {
    const t = wholeSecondIn(15_000);
    // 901's meeting starts during the fault and lasts; 902's starts and ends during it; 903's
    // calendar changes during it.
    await pipeline.seed('901', [anAppointment({ subject: 'Board', start: t, end: t + 3600_000 })]);
    await pipeline.seed('902', [anAppointment({ subject: 'Stand-up', start: t, end: t + 15_000 })]);
    await pipeline.seed('903', [anAppointment({ subject: 'Later', start: t + 7200_000, end: t + 9000_000 })]);
    await eventually(
      'the first pushes',
      () => ['901', '902', '903'].every((id) => pipeline.sim.presenceOf(id) !== null),
      (all) => all,
      15_000,
    );
    const from = pipeline.sim.requests.length;
    pipeline.sim.setFault({ status: 400 });
    const changedAt = Date.now() - 1000;
    await pipeline.seed('903', [
      anAppointment({ subject: 'Escalation', start: changedAt, end: t + 3600_000 }),
    ]);
    await sleep(60_000);
    pipeline.sim.setFault(null);

    const shown = await eventually(
      'every user right after the fault',
      () => ['901', '902', '903'].map((id) => pipeline.sim.presenceOf(id)),
      ([a, b, c]) =>
        a?.note === 'Board' &&
        b?.availability === 'Available' &&
        b.until === null &&
        c?.note === 'Escalation',
      60_000,
    );
    assert.deepEqual(
      shown.map((p) => [p?.availability, p?.until]),
      [
        ['Meeting', iso(t + 3600_000)],
        ['Available', null],
        ['Meeting', iso(t + 3600_000)],
      ],
    );
    for (const id of ['901', '902', '903']) {
      const statuses = answers(id, from);
      // Refused while the fault lasted, then accepted: none given up in between.
      assert.match(statuses.join(' '), /^(400 )+204( 204)*$/, `user ${id}: ${statuses.join(' ')}`);
    }
    assert.equal(await poisoned(), 0, 'nothing in presence-poison');
    assert.ok(
      (await pipeline.logLines()).some(
        (l) => l.startsWith('PHONE-LiNK unreachable') && l.includes('unexpected 400'),
      ),
    );
  });

  it('the hourly maintenance pushes a user whose update was lost', async () => {
    await pipeline.seed('904', []);
    await eventually(
      'the first push',
      () => pipeline.sim.presenceOf('904'),
      (p) => p !== null,
      15_000,
    );
    // A calendar change whose recalculation never happened (its message lost).
    await storeMeetingNow(pipeline, '904', 'Lost');
    await runMaintenance(wireMaintenance(pipeline.services));
    await eventually(
      'the lost update',
      () => pipeline.sim.presenceOf('904')?.note,
      (note) => note === 'Lost',
      15_000,
    );
    assert.ok(
      (await pipeline.logLines()).some((l) => l.startsWith('Maintenance found') && l.endsWith(': 904')),
    );
  });

  it('the hourly maintenance re-runs what landed in presence-poison, and says so', async () => {
    await storeMeetingNow(pipeline, '905', 'Poisoned');
    // As the host leaves a message it gave up on: the text as it was received.
    const poison = await pipeline.queues.queue(`${QUEUES.presence}-poison`);
    await poison.sendMessage(encodeMessage({ userId: '905', reason: 'calendar-changed' }), {
      messageTimeToLive: -1,
    });

    await runMaintenance(wireMaintenance(pipeline.services));
    assert.equal(await poisoned(), 0);
    await eventually(
      'the re-run push',
      () => pipeline.sim.presenceOf('905')?.note,
      (note) => note === 'Poisoned',
      15_000,
    );
    assert.ok(
      (await pipeline.logLines()).includes(
        'Maintenance re-ran 1 message(s) from presence-poison (users 905)',
      ),
    );
  });
});
