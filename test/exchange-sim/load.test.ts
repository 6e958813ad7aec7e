import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { ackStats, driveChanges, seedUsers } from '../../dev/exchange-sim/load.ts';
import type { SimUser } from '../../dev/exchange-sim/mailboxes.ts';
import { graphClient, type Receiver, startReceiver, startSim } from './fixtures.ts';

describe('simulated Exchange load helpers', () => {
  let sim: ExchangeSimulator;
  let receiver: Receiver;
  let users: SimUser[];

  before(async () => {
    sim = await startSim({ duplicateRatio: 1 });
    receiver = await startReceiver();
    users = seedUsers(sim.mailboxes, { count: 40, days: 5, meetingsPerDay: 3, from: Date.UTC(2026, 10, 23) });
  });
  after(async () => {
    await sim.stop();
    await receiver.close();
  });

  it('seeds users with a working week of meetings', () => {
    assert.equal(sim.mailboxes.users().length, 40);
    const first = users[0];
    assert.ok(first);
    assert.equal(
      sim.mailboxes.calendarView(first.id, Date.UTC(2026, 10, 23), Date.UTC(2026, 10, 30)).length,
      15,
    );
  });

  it('drives paced changes whose notifications (sent twice, as Graph may) are all acknowledged', async () => {
    const subscribed = users.slice(0, 20);
    const requests = subscribed.map((u, i) => ({
      id: String(i + 1),
      method: 'POST',
      url: '/subscriptions',
      headers: { 'Content-Type': 'application/json' },
      body: {
        changeType: 'created,updated,deleted',
        notificationUrl: receiver.url,
        resource: `users/${u.id}/events`,
        expirationDateTime: new Date(Date.now() + 60 * 60_000).toISOString(),
        clientState: `state-${i}`,
      },
    }));
    await graphClient(sim).api('/$batch').post({ requests });
    assert.equal(sim.subscriptions().length, 20);
    const since = Date.now();
    const made = await driveChanges(sim.mailboxes, users, { perSecond: 200, durationMs: 200 });
    await sim.notificationsIdle();
    const stats = ackStats(sim.deliveries(), since);
    assert.equal(made, 40);
    assert.equal(stats.notifications, 2 * 20);
    assert.equal(stats.failed, 0);
    assert.ok(stats.p99Ms >= stats.p50Ms);
  });
});
