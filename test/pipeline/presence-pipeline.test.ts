import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { ReceivedPush } from '../../dev/phonelink-sim/phonelink-simulator.ts';
import { toIsoSeconds } from '../../shared/presence/instant.ts';
import { QUEUES } from '../../shared/queues/messages.ts';
import { anAppointment, aPresenceBody, aSimUser } from '../support/builders.ts';
import {
  eventually,
  LIVE_WEBHOOK_SECRET,
  type LivePipeline,
  startLivePipeline,
  wholeSecondIn,
} from './support/live-pipeline.ts';
import { storeReadCalendar } from './support/stored-calendar.ts';

const USERS = ['501', '502', '503', '504', '505', '506', '507', '508'];

const pushesOf = (pipeline: LivePipeline, userId: string): ReceivedPush[] =>
  pipeline.sim.pushes.filter((p) => p.userId === userId);

/** [availability, note, until] of each push: what PHONE-LiNK showed, in order. */
const shown = (pushes: readonly ReceivedPush[]) =>
  pushes.map((p) => [p.body.availability, p.body.note, p.body.until]);

describe('§2–§4 presence pipeline: Azurite, the functions host and the PHONE-LiNK simulator', {
  timeout: 180_000,
}, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({
      users: USERS.map((id) => aSimUser(id)),
    });
  });
  after(() => pipeline.stop());

  it('turns stored appointments into the right pushes, none before its second', async () => {
    const start = wholeSecondIn(3000);
    const end = start + 3000;
    await pipeline.seed('501', [anAppointment({ subject: 'Design review', start, end })]);
    const pushes = await eventually(
      'the push at the end of the appointment',
      () => pushesOf(pipeline, '501'),
      (p) => p.length >= 3,
      15_000,
    );
    assert.deepEqual(shown(pushes), [
      ['Available', null, toIsoSeconds(start)],
      ['Meeting', 'Design review', toIsoSeconds(end)],
      ['Available', null, null],
    ]);
    const [, meeting, free] = pushes;
    assert.ok((meeting?.at ?? 0) >= start, 'the meeting push is not early');
    assert.ok((free?.at ?? 0) >= end, 'the end push is not early');
    // Seconds, not minutes (the lag target itself is measured by npm run bench).
    assert.ok((meeting?.at ?? Infinity) < start + 5000 && (free?.at ?? Infinity) < end + 5000);
  });

  it('says Meeting until the end of back-to-back appointments, pushes only a new note where the subject changes, never Available between', async () => {
    const t0 = wholeSecondIn(3000);
    await pipeline.seed('502', [
      anAppointment({ subject: 'Sync', start: t0, end: t0 + 2000 }),
      anAppointment({ subject: 'Sync', start: t0 + 2000, end: t0 + 4000 }),
      anAppointment({ subject: 'Planning', showAs: 'tentative', start: t0 + 4000, end: t0 + 6000 }),
    ]);
    const pushes = await eventually(
      'the push after the last appointment',
      () => pushesOf(pipeline, '502'),
      (p) => p.length >= 4,
      20_000,
    );
    assert.deepEqual(shown(pushes), [
      ['Available', null, toIsoSeconds(t0)],
      ['Meeting', 'Sync', toIsoSeconds(t0 + 6000)],
      ['Meeting', 'Planning', toIsoSeconds(t0 + 6000)],
      ['Available', null, null],
    ]);
    assert.ok((pushes[2]?.at ?? 0) >= t0 + 4000);
  });

  it('treats 409 as superseded and does not retry it', async () => {
    // PHONE-LiNK already holds a higher sequence for this user.
    await pipeline.services.phonelink.putPresence(
      '503',
      aPresenceBody({ availability: 'OutOfOffice' }),
      2_000_000_000,
    );
    await pipeline.seed('503', [
      anAppointment({ start: wholeSecondIn(60_000), end: wholeSecondIn(120_000) }),
    ]);
    await eventually(
      'the superseded line in the log',
      () => pipeline.logLines(),
      (lines) => lines.some((l) => l.includes('User 503 (503)') && l.includes('superseded')),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(
      pipeline.sim.requests.filter((r) => r.userId === '503').map((r) => r.status),
      [204, 409],
    );
  });

  it('stops managing a user PHONE-LiNK answers 404 for, and does not retry', async () => {
    pipeline.sim.removeUser('504');
    await pipeline.seed('504', [anAppointment({ start: wholeSecondIn(2000), end: wholeSecondIn(60_000) })]);
    await eventually(
      'the user no longer integrated',
      () => pipeline.services.users.get('504'),
      (u) => u?.integrated === false,
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.deepEqual(
      pipeline.sim.requests.filter((r) => r.userId === '504').map((r) => r.status),
      [404],
    );
    assert.ok((await pipeline.logLines()).some((l) => l.startsWith('Stopped managing user User 504 (504)')));
  });

  it('recalculates every user of a grouped message, and wakes users of one instant together on time', async () => {
    const start = wholeSecondIn(4000);
    const end = start + 60_000;
    for (const userId of ['507', '508']) {
      const readAt = Date.now();
      await storeReadCalendar(pipeline.services, userId, [anAppointment({ start, end })], {
        readAt,
        window: { start: readAt - 3600_000, end: readAt + 7 * 24 * 3600_000 },
      });
    }
    // As calendar sync hands them on: recalculated together, their wake-ups for `start` share a message.
    await pipeline.queues.send(QUEUES.presence, { userIds: ['507', '508'], reason: 'calendar-changed' });
    for (const userId of ['507', '508']) {
      const pushes = await eventually(
        `the meeting push of user ${userId}`,
        () => pushesOf(pipeline, userId),
        (p) => p.length >= 2,
        15_000,
      );
      assert.deepEqual(shown(pushes), [
        ['Available', null, toIsoSeconds(start)],
        ['Meeting', 'Design review', toIsoSeconds(end)],
      ]);
      assert.ok((pushes[1]?.at ?? 0) >= start, 'the meeting push is not early');
    }
  });

  it('drops a malformed presence message with a log line, without retrying it', async () => {
    await pipeline.queues.send(QUEUES.presence, { userId: 42, reason: 'whatever' });
    await eventually(
      'the malformed-message line',
      () => pipeline.logLines(),
      (lines) => lines.some((l) => l.startsWith('Dropped a malformed presence message')),
      10_000,
    );
    const poison = await pipeline.queues.queue(`${QUEUES.presence}-poison`);
    assert.equal((await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length, 0);
  });

  it('takes an override from the presence window, answers until when, and pushes it', async () => {
    pipeline.sim.setOverrideTarget({ url: pipeline.host.url, secret: LIVE_WEBHOOK_SECRET });
    const next = wholeSecondIn(120_000);
    await pipeline.seed('505', [anAppointment({ subject: 'Board', start: next, end: next + 3_600_000 })]);
    await eventually(
      'the first push',
      () => pushesOf(pipeline, '505'),
      (p) => p.length >= 1,
      10_000,
    );
    const answer = await fetch(`${pipeline.sim.url}/ui/users/505/override`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ availability: 'Meeting' }),
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(z.object({ until: z.string().nullable() }).parse(await answer.json()), {
      until: toIsoSeconds(next),
    });
    const pushes = await eventually(
      'the override push',
      () => pushesOf(pipeline, '505'),
      (p) => p.length >= 2,
      10_000,
    );
    assert.equal(pushes[1]?.body.source, 'override');
    assert.equal(pushes[1]?.body.availability, 'Meeting');
    assert.equal(pushes[1]?.body.until, toIsoSeconds(next));

    const refused = await fetch(`${pipeline.host.url}/api/phonelink/users/505/override`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: '{"availability":null}',
    });
    assert.equal(refused.status, 401);
  });
});
