import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CalendarSourceKind, type ExchangeWorld, startExchangeWorld } from './support/exchange-world.ts';
import {
  at,
  busy,
  MINUTE,
  matches,
  SCENARIOS,
  scenarioUsers,
  seedScenarios,
} from './support/presence-scenarios.ts';

/**
 * SPEC §3 end to end: calendars in the simulated Exchange, read by the functions host through
 * the calendar source, pushed to the PHONE-LiNK simulator. The source comes from
 * CALENDAR_SOURCE (graph by default), so the same scenarios check each Exchange path.
 */
const SOURCES: readonly CalendarSourceKind[] = ['graph', 'ews', 'hybrid'];
const SOURCE: CalendarSourceKind = SOURCES.find((s) => s === process.env.CALENDAR_SOURCE) ?? 'graph';

const users = scenarioUsers(SCENARIOS);

describe(`§3 presence rules reach PHONE-LiNK (${SOURCE})`, () => {
  let world: ExchangeWorld;

  before(async () => {
    world = await startExchangeWorld({
      source: SOURCE,
      users,
      seed: (mailboxes) => seedScenarios(SCENARIOS, users, mailboxes),
    });
  });

  after(async () => {
    await world?.stop();
  });

  SCENARIOS.forEach((scenario, i) => {
    const userId = users[i]?.id ?? '';
    const expected = scenario.expect;
    it(scenario.name, async () => {
      if (expected === null) {
        // Integrated users are all pushed by now, so this one would have been too.
        await world.waitFor('the first scan', () =>
          users.every((u, j) => SCENARIOS[j]?.expect === null || world.presenceOf(u.id) !== null),
        );
        assert.equal(world.presenceOf(userId), null);
        return;
      }
      await world.waitForPresence(userId, (presence) => matches(presence, expected));
    });
  });

  describe('changes reach PHONE-LiNK within seconds', () => {
    const userId = users.find((_, i) => SCENARIOS[i]?.name.startsWith('rule 4: nothing'))?.id ?? '';
    const email = users.find((u) => u.id === userId)?.email ?? '';
    let eventId = '';

    it('reflects a created appointment', async () => {
      await world.waitForPresence(userId, (p) => p.availability === 'Available');
      eventId = busy(world.mailboxes, email, { subject: 'Created now', start: at(-1), end: at(45) }).id;
      const presence = await world.waitForPresence(userId, (p) => p.availability === 'Meeting', 20_000);
      assert.equal(presence.note, 'Created now');
    });

    it('reflects a changed appointment', async () => {
      world.mailboxes.updateEvent(email, eventId, { showAs: 'oof', subject: 'Moved offsite' });
      const presence = await world.waitForPresence(userId, (p) => p.availability === 'OutOfOffice', 20_000);
      assert.equal(presence.note, 'Moved offsite');
    });

    it('reflects a deleted appointment', async () => {
      world.mailboxes.deleteEvent(email, eventId);
      await world.waitForPresence(userId, (p) => p.availability === 'Available' && p.note === null, 20_000);
    });

    it('changes presence at an appointment start, not before', async () => {
      const start = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
      busy(world.mailboxes, email, { subject: 'Starts soon', start, end: start + 30 * MINUTE });
      await world.waitForPresence(
        userId,
        (p) => p.availability === 'Meeting' && p.note === 'Starts soon',
        15_000,
      );
      const push = world.phonelink.pushes.findLast((p) => p.userId === userId);
      assert.ok(push && push.at >= start, `pushed at ${push?.at}, before the start ${start}`);
    });
  });

  // Graph's own route: over EWS and hybrid it has no counterpart here (test/ews/ holds EWS's).
  if (SOURCE === 'graph') {
    describe('§5 the Graph notification route', () => {
      it('reads the calendar once for a change, and once more for the changes during that read', async () => {
        // The user the changes above used: nothing else of theirs is going on.
        const user = users.find((_, i) => SCENARIOS[i]?.name.startsWith('rule 4: nothing'));
        const userId = user?.id ?? '';
        const email = user?.email ?? '';
        const reads = () => world.exchange.operationCount('calendarView');
        await quiet(world);
        const before = reads();
        const id = busy(world.mailboxes, email, {
          subject: 'Burst 0',
          showAs: 'oof',
          start: at(-1),
          end: at(50),
        }).id;
        await world.waitForPresence(userId, (p) => p.note === 'Burst 0', 20_000);
        await quiet(world);
        assert.equal(reads() - before, 1, 'one read for one change');
        const burstFrom = reads();
        for (let n = 1; n <= 5; n += 1) {
          world.mailboxes.updateEvent(email, id, { subject: `Burst ${n}` });
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await world.waitForPresence(userId, (p) => p.note === 'Burst 5', 20_000);
        await quiet(world);
        // The first notice is read at once; the four after it wait for the spacing and share one read.
        assert.ok(reads() - burstFrom <= 2, `${reads() - burstFrom} reads for a burst of five changes`);
      });

      it('answers the validation handshake with the decoded token as text/plain', async () => {
        const answer = await world.post(
          '/api/notifications/graph?validationToken=Validation%3A%20Testing%20client%20application',
          '',
        );
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('content-type'), 'text/plain');
        assert.equal(await answer.text(), 'Validation: Testing client application');
      });

      it('ignores a notification with a wrong clientState: no calendar read', async () => {
        const mailbox = world.mailboxes.user(users[4]?.email ?? '');
        const subscription = world.exchange.subscriptions().find((s) => s.userId === mailbox.id);
        assert.ok(subscription, 'the scan subscribed the user');
        // Quiet first: re-reads still due from earlier tests must not count against this one.
        await quiet(world);
        const readsBefore = world.exchange.operationCount('calendarView');
        const answer = await world.post(
          '/api/notifications/graph',
          JSON.stringify({
            value: [
              {
                subscriptionId: subscription.id,
                clientState: 'not-the-secret',
                changeType: 'updated',
                resource: subscription.resource,
              },
            ],
          }),
        );
        assert.equal(answer.status, 202);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        assert.equal(world.exchange.operationCount('calendarView'), readsBefore);
      });

      it('recreates a subscription Graph removed, and the user stays followed', async () => {
        const user = users[5];
        assert.ok(user?.email);
        const email = user.email;
        const mailboxId = world.mailboxes.user(email).id;
        const removed = world.exchange.subscriptions().find((s) => s.userId === mailboxId);
        assert.ok(removed);
        world.exchange.sendLifecycle(removed.id, 'subscriptionRemoved');
        await world.waitFor('a new subscription', () =>
          world.exchange.subscriptions().some((s) => s.userId === mailboxId && s.id !== removed.id),
        );
        busy(world.mailboxes, email, {
          subject: 'After the removal',
          showAs: 'oof',
          start: at(-2),
          end: at(20),
        });
        await world.waitForPresence(user.id, (p) => p.note === 'After the removal', 20_000);
      });

      it('renews a subscription on reauthorizationRequired', async () => {
        const mailboxId = world.mailboxes.user(users[6]?.email ?? '').id;
        const subscription = world.exchange.subscriptions().find((s) => s.userId === mailboxId);
        assert.ok(subscription);
        const before = subscription.expiresAt;
        await new Promise((resolve) => setTimeout(resolve, 1_100)); // so a renewal shows in the expiry
        world.exchange.sendLifecycle(subscription.id, 'reauthorizationRequired');
        await world.waitFor('the renewal', () =>
          world.exchange.subscriptions().some((s) => s.id === subscription.id && s.expiresAt > before),
        );
      });

      const refusals = [
        { name: 'malformed JSON', body: '{"value": [', status: 400 },
        { name: 'JSON of the wrong shape', body: '{"value": 42}', status: 400 },
        { name: 'an oversized body', body: `{"value": "${'x'.repeat(2 * 1024 * 1024)}"}`, status: 413 },
      ];
      for (const { name, body, status } of refusals) {
        it(`answers ${status} to ${name}`, async () => {
          for (const route of ['/api/notifications/graph', '/api/notifications/graph/lifecycle']) {
            const answer = await world.post(route, body);
            assert.equal(answer.status, status, route);
            await answer.body?.cancel();
          }
        });
      }
    });
  }
});

/** Until the simulated Exchange has seen no calendar read for 1.5 s: re-reads due from earlier steps are done. */
async function quiet(world: ExchangeWorld): Promise<void> {
  let before = -1;
  await world.waitFor('no calendar reads for 1.5 s', async () => {
    const reads = world.exchange.operationCount('calendarView');
    if (reads === before) return true;
    before = reads;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return world.exchange.operationCount('calendarView') === before;
  });
}
