import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CalendarSourceKind, type ExchangeWorld, startExchangeWorld } from './support/exchange-world.ts';
import { at, busy, matches, SCENARIOS, scenarioUsers, seedScenarios } from './support/presence-scenarios.ts';

/**
 * Exchange Online throttles: here 30 % of all requests, and of every $batch part, are answered
 * 429 with Retry-After. Every user must still end up right, and a change still gets through.
 */
const SOURCE: CalendarSourceKind = process.env.CALENDAR_SOURCE === 'ews' ? 'ews' : 'graph';
const integrated = SCENARIOS.filter((scenario) => scenario.expect !== null);
const users = scenarioUsers(integrated, 401);

describe(`§1 throttled Exchange: 30 % of requests answered 429 (${SOURCE})`, () => {
  let world: ExchangeWorld;

  before(async () => {
    world = await startExchangeWorld({
      source: SOURCE,
      users,
      throttleRatio: 0.3,
      seed: (mailboxes) => seedScenarios(integrated, users, mailboxes),
    });
  });

  after(async () => {
    await world?.stop();
  });

  it('gets every user right', async () => {
    await world.waitFor(
      'every user right',
      () =>
        integrated.every((scenario, i) => {
          const presence = world.presenceOf(users[i]?.id ?? '');
          return presence !== null && scenario.expect !== null && matches(presence, scenario.expect);
        }),
      60_000,
    );
    // The ratio applies to Graph requests; the EWS front-end has its own throttling (ErrorServerBusy).
    if (SOURCE === 'graph')
      assert.ok(world.exchange.throttledCount() > 0, 'the simulated Exchange throttled');
  });

  it('pushes a body only when it changed, though jobs were retried (§3)', () => {
    for (const user of users) {
      const bodies = world.phonelink.pushes
        .filter((push) => push.userId === user.id)
        .map(({ body: { sequence: _sequence, ...body } }) => JSON.stringify(body));
      for (let i = 1; i < bodies.length; i++) {
        assert.notEqual(bodies[i], bodies[i - 1], `user ${user.id} got the same body twice in a row`);
      }
    }
  });

  it('still reflects a created appointment', async () => {
    const user = users[integrated.findIndex((scenario) => scenario.name.startsWith('rule 4: nothing'))];
    assert.ok(user?.email);
    busy(world.mailboxes, user.email, { subject: 'Squeezed in', start: at(-1), end: at(30) });
    await world.waitForPresence(
      user.id,
      (p) => p.availability === 'Meeting' && p.note === 'Squeezed in',
      30_000,
    );
  });
});
