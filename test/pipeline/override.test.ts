import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recalculatePresence } from '../../shared/presence-sync/recalculate-presence.ts';
import { handleOverrideRequest, MAX_OVERRIDE_BODY_BYTES } from '../../shared/presence-sync/set-override.ts';
import { presenceMessage } from '../../shared/queues/messages.ts';
import { readBodyJson } from '../../shared/runtime/request-body.ts';
import { anAppointment, aUserRecord, utc } from '../support/builders.ts';
import { type PipelineWorld, startPipelineWorld, WEBHOOK_SECRET } from './support/pipeline-world.ts';
import { storeReadCalendar } from './support/stored-calendar.ts';

const AUTH = `Bearer ${WEBHOOK_SECRET}`;

describe('§5 override endpoint and §3 override (use case over Azurite and the simulator)', () => {
  let world: PipelineWorld;
  /** `body` null: one byte more than the route reads. */
  const call = (userId: string, authorization: string | null, body: string | null) =>
    handleOverrideRequest(world.overrideDeps, {
      userId,
      authorization,
      readBody: () =>
        readBodyJson(
          {
            headers: new Headers(),
            body: new Blob([body ?? 'x'.repeat(MAX_OVERRIDE_BODY_BYTES + 1)]).stream(),
          },
          MAX_OVERRIDE_BODY_BYTES,
        ),
    });

  before(async () => {
    world = await startPipelineWorld([
      { id: '401', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true },
      { id: '402', name: 'Bob Jones', email: 'bob@contoso.com', calendarIntegration: true },
    ]);
    const readAt = utc('2026-11-24T07:00:00Z');
    await world.deps.users.put(aUserRecord('402', { email: '402@contoso.com', updatedAt: readAt }));
    await storeReadCalendar(
      world.deps,
      '401',
      [
        anAppointment({
          subject: 'Standup',
          start: utc('2026-11-24T09:00:00Z'),
          end: utc('2026-11-24T09:15:00Z'),
        }),
        anAppointment({ subject: 'Lunch', showAs: 'free', start: utc('2026-11-24T12:00:00Z') }),
        anAppointment({
          subject: 'Review',
          start: utc('2026-11-24T14:00:00Z'),
          end: utc('2026-11-24T15:00:00Z'),
        }),
      ],
      { readAt, user: { email: '401@contoso.com' } },
    );
  });
  after(() => world.stop());

  const refused = [
    { name: 'no Authorization', authorization: null, body: '{"availability":"Available"}', status: 401 },
    {
      name: 'a wrong secret',
      authorization: 'Bearer nope',
      body: '{"availability":"Available"}',
      status: 401,
    },
    { name: 'the secret without Bearer', authorization: WEBHOOK_SECRET, body: '{}', status: 401 },
    { name: 'a body that is not JSON', authorization: AUTH, body: 'Available', status: 400 },
    { name: 'an unknown availability', authorization: AUTH, body: '{"availability":"Busy"}', status: 400 },
    { name: 'no availability', authorization: AUTH, body: '{}', status: 400 },
    { name: 'an oversized body', authorization: AUTH, body: null, status: 413 },
  ];
  for (const c of refused) {
    it(`answers ${c.status} to ${c.name}`, async () => {
      const answer = await call('401', c.authorization, c.body);
      assert.equal(answer.status, c.status);
    });
  }

  it('answers 404 for a user it does not manage', async () => {
    assert.equal((await call('999', AUTH, '{"availability":"Meeting"}')).status, 404);
  });

  it('holds the override until the next counting appointment starts, then the calendar takes over', async () => {
    world.setNow(utc('2026-11-24T10:30:00Z'));
    const answer = await call('401', AUTH, '{"availability":"OutOfOffice"}');
    // The free lunch does not count: the 14:00 review ends the override.
    assert.deepEqual(answer, { status: 200, body: { until: '2026-11-24T14:00:00Z' } });
    const queued = world.queues.sent.map((s) => presenceMessage.parse(s.message));
    assert.ok(queued.some((m) => m.userId === '401' && m.reason === 'override'));

    await recalculatePresence(world.deps, presenceMessage.parse({ userId: '401', reason: 'override' }));
    assert.deepEqual(world.sim.presenceOf('401'), {
      ...world.sim.presenceOf('401'),
      availability: 'OutOfOffice',
      greeting: 'absence',
      until: '2026-11-24T14:00:00Z',
      note: null,
      source: 'override',
    });
    assert.equal((await world.deps.presence.get('401'))?.wakeAt, utc('2026-11-24T14:00:00Z'));

    world.setNow(utc('2026-11-24T14:00:00Z'));
    await recalculatePresence(
      world.deps,
      presenceMessage.parse({ userId: '401', reason: 'transition', wakeAt: utc('2026-11-24T14:00:00Z') }),
    );
    assert.equal(world.sim.presenceOf('401')?.availability, 'Meeting');
    assert.equal(world.sim.presenceOf('401')?.source, 'calendar');
    assert.equal((await world.deps.presence.get('401'))?.override, null);
    assert.ok((await world.logLines()).some((l) => l.includes('set OutOfOffice in PHONE-LiNK until')));
  });

  it('clears the override with null, answering null', async () => {
    world.setNow(utc('2026-11-24T16:00:00Z'));
    assert.deepEqual(await call('401', AUTH, '{"availability":"Meeting"}'), {
      status: 200,
      body: { until: null },
    });
    assert.deepEqual(await call('401', AUTH, '{"availability":null}'), {
      status: 200,
      body: { until: null },
    });
    assert.equal((await world.deps.presence.get('401'))?.override, null);
  });

  it('lets a user with no calendar read yet override, until changed', async () => {
    world.setNow(utc('2026-11-24T16:00:00Z'));
    assert.deepEqual(await call('402', AUTH, '{"availability":"Meeting"}'), {
      status: 200,
      body: { until: null },
    });
    await recalculatePresence(world.deps, presenceMessage.parse({ userId: '402', reason: 'override' }));
    assert.equal(world.sim.presenceOf('402')?.availability, 'Meeting');
    assert.equal(world.sim.presenceOf('402')?.source, 'override');
  });
});
