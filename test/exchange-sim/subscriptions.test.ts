import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Client, GraphError } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import type { SimUser } from '../../dev/exchange-sim/mailboxes.ts';
import { graphClient, type Receiver, startReceiver, startSim } from './fixtures.ts';

const MINUTE = 60_000;

const Notifications = z.object({
  value: z.array(
    z.object({
      subscriptionId: z.string(),
      clientState: z.string().nullable(),
      changeType: z.string().optional(),
      lifecycleEvent: z.string().optional(),
      resource: z.string().optional(),
      tenantId: z.string(),
      subscriptionExpirationDateTime: z.string(),
      resourceData: z
        .object({ id: z.string(), '@odata.type': z.string(), '@odata.id': z.string() })
        .optional(),
    }),
  ),
});

function expiresIn(minutes: number): string {
  return new Date(Date.now() + minutes * MINUTE).toISOString();
}

async function graphStatus(promise: Promise<unknown>): Promise<{ status: number; code: string | null }> {
  try {
    await promise;
    return { status: 200, code: null };
  } catch (error: unknown) {
    assert.ok(error instanceof GraphError, String(error));
    return { status: error.statusCode, code: error.code };
  }
}

describe('simulated Graph subscriptions and notifications', () => {
  let sim: ExchangeSimulator;
  let client: Client;
  let ann: SimUser;
  let receiver: Receiver;

  before(async () => {
    sim = await startSim({ handshakeTimeoutMs: 500, notifications: { retryDelaysMs: [50, 100] } });
    client = graphClient(sim);
    ann = sim.mailboxes.addUser({ email: 'ann@contoso.com', displayName: 'Ann Smith' });
    receiver = await startReceiver();
  });
  after(async () => {
    await sim.stop();
    await receiver.close();
  });

  function subscribe(overrides: Record<string, unknown> = {}) {
    return client.api('/subscriptions').post({
      changeType: 'created,updated,deleted',
      notificationUrl: `${receiver.url}/api/notifications/graph`,
      lifecycleNotificationUrl: `${receiver.url}/api/notifications/graph/lifecycle`,
      resource: `users/${ann.id}/events`,
      expirationDateTime: expiresIn(4_000),
      clientState: 'state-for-ann',
      ...overrides,
    });
  }

  it('performs the validation handshake on both URLs before creating the subscription', async () => {
    const created = await subscribe();
    assert.equal(created.clientState, 'state-for-ann');
    const handshakes = receiver.received.filter((r) => new URL(r.url).searchParams.has('validationToken'));
    assert.deepEqual(
      handshakes.map((r) => new URL(r.url).pathname),
      ['/api/notifications/graph', '/api/notifications/graph/lifecycle'],
    );
    assert.match(
      new URL(handshakes[0]?.url ?? '').searchParams.get('validationToken') ?? '',
      /^Validation: .+ /,
    );
    assert.deepEqual(
      sim.subscriptions().map((s) => s.id),
      [created.id],
    );
  });

  it('refuses the subscription when the endpoint does not echo the token', async () => {
    const silent = await startReceiver({ echo: false });
    try {
      const answer = await graphStatus(
        subscribe({ notificationUrl: silent.url, lifecycleNotificationUrl: silent.url }),
      );
      assert.deepEqual(answer, { status: 400, code: 'ValidationError' });
    } finally {
      await silent.close();
    }
  });

  it('refuses the subscription when the endpoint does not answer the handshake in time', async () => {
    const silent = await startReceiver({ silent: true });
    try {
      const answer = await graphStatus(subscribe({ notificationUrl: silent.url }));
      assert.deepEqual(answer, { status: 400, code: 'ValidationError' });
    } finally {
      await silent.close();
    }
  });

  it('refuses an expiration more than 10,080 minutes ahead', async () => {
    const answer = await graphStatus(subscribe({ expirationDateTime: expiresIn(10_090) }));
    assert.deepEqual(answer, { status: 400, code: 'ExtensionError' });
  });

  it('delivers created, updated and deleted notifications with the clientState', async () => {
    const event = sim.mailboxes.createEvent(ann.id, {
      subject: 'Design review',
      start: Date.UTC(2026, 10, 24, 14),
      end: Date.UTC(2026, 10, 24, 15),
    });
    sim.mailboxes.updateEvent(ann.id, event.id, { showAs: 'tentative' });
    sim.mailboxes.deleteEvent(ann.id, event.id);
    await sim.notificationsIdle();
    const posted = receiver.received
      .filter((r) => r.url.endsWith('/api/notifications/graph') && r.body.length > 0)
      .flatMap((r) => Notifications.parse(JSON.parse(r.body)).value);
    assert.deepEqual(
      posted.map((n) => n.changeType),
      ['created', 'updated', 'deleted'],
    );
    for (const n of posted) {
      assert.equal(n.clientState, 'state-for-ann');
      assert.equal(n.resource, `Users/${ann.id}/Events/${event.id}`);
      assert.equal(n.resourceData?.id, event.id);
    }
    const acks = sim.deliveries().filter((d) => d.kind === 'change');
    assert.ok(acks.length > 0 && acks.every((d) => d.status === 202 && d.durationMs >= 0));
  });

  it('retries a notification the receiver refused', async () => {
    const flaky = await startReceiver({ status: 503 });
    try {
      await subscribe({ notificationUrl: flaky.url, lifecycleNotificationUrl: flaky.url });
      sim.mailboxes.createEvent(ann.id, {
        subject: 'x',
        start: Date.UTC(2026, 10, 25, 9),
        end: Date.UTC(2026, 10, 25, 10),
      });
      await sim.notificationsIdle();
      const attempts = sim.deliveries().filter((d) => d.url === flaky.url && d.kind === 'change');
      assert.deepEqual(
        attempts.map((d) => d.attempt),
        [1, 2, 3],
      );
    } finally {
      await flaky.close();
    }
  });

  it('keeps the clientState a subscription was created with: an update cannot change it', async () => {
    const created = await subscribe();
    // Graph's update takes expirationDateTime and notificationUrl only.
    // Refused or ignored, the state stays.
    await graphStatus(client.api(`/subscriptions/${created.id}`).patch({ clientState: 'another-state' }));
    assert.equal((await client.api(`/subscriptions/${created.id}`).get()).clientState, 'state-for-ann');
  });

  it('renews with PATCH, sends lifecycle notifications, and deletes', async () => {
    const created = await subscribe();
    const renewed = await client
      .api(`/subscriptions/${created.id}`)
      .patch({ expirationDateTime: expiresIn(10_000) });
    assert.ok(Date.parse(renewed.expirationDateTime) > Date.parse(created.expirationDateTime));
    sim.sendLifecycle(created.id, 'reauthorizationRequired');
    const lifecycle = await receiver.waitFor(
      (r) => r.url.endsWith('/lifecycle') && r.body.includes(created.id),
    );
    assert.equal(
      Notifications.parse(JSON.parse(lifecycle.body)).value[0]?.lifecycleEvent,
      'reauthorizationRequired',
    );
    await client.api(`/subscriptions/${created.id}`).delete();
    assert.deepEqual(await graphStatus(client.api(`/subscriptions/${created.id}`).get()), {
      status: 404,
      code: 'ResourceNotFound',
    });
  });
});

describe('simulated Graph penalty for slow notification endpoints', () => {
  it('drops notifications to an endpoint whose answers are mostly slow', async () => {
    const sim = await startSim({ notifications: { maxBatch: 1, slowResponseMs: 20 } });
    const slow = await startReceiver({ delayMs: 40 });
    try {
      const bob = sim.mailboxes.addUser({ email: 'bob@contoso.com' });
      await graphClient(sim)
        .api('/subscriptions')
        .post({
          changeType: 'created',
          notificationUrl: slow.url,
          resource: `users/${bob.id}/events`,
          expirationDateTime: expiresIn(60),
          clientState: 'bob',
        });
      const start = Date.UTC(2026, 10, 24, 9);
      for (let i = 0; i < 20; i += 1)
        sim.mailboxes.createEvent(bob.id, { subject: `${i}`, start, end: start + MINUTE });
      await sim.notificationsIdle();
      assert.equal(sim.endpointHealth(slow.url), 'dropped');
      sim.mailboxes.createEvent(bob.id, { subject: 'lost', start, end: start + MINUTE });
      await sim.notificationsIdle();
      assert.equal(sim.droppedNotifications(), 1);
    } finally {
      await sim.stop();
      await slow.close();
    }
  });
});
