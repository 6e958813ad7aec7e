import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import { aSendNotification } from '../ews/send-notification-builder.ts';
import { startWebhookWorld, type WebhookWorld, webhookRequest } from '../support/webhook-world.ts';

const UNSIGNED_STATE = 'c2VjcmV0LWFubi1jbGllbnQtc3RhdGU';

const aNotice = (fields: Record<string, unknown> = {}) => ({
  subscriptionId: 'made-up-subscription',
  clientState: UNSIGNED_STATE,
  changeType: 'updated',
  resource: 'Users/0f3c/Events/AAMk',
  ...fields,
});

const copies = (count: number, notice: Record<string, unknown>) => ({
  value: Array.from({ length: count }, () => notice),
});

const post = (world: WebhookWorld, route: 'notifications' | 'lifecycle', body: unknown) =>
  world.graph[route](webhookRequest(JSON.stringify(body)));

describe('§5 the anonymous Graph webhook does bounded work (production wiring, Azurite, counted store calls)', () => {
  let world: WebhookWorld;
  const known: CalendarSubscription = {
    id: 'sub-known',
    userId: '201',
    source: 'graph',
    expiresAt: null,
    clientState: UNSIGNED_STATE,
    watermark: null,
  };

  before(async () => {
    world = await startWebhookWorld();
    await world.services.subscriptions.put(known);
  });
  after(() => world.stop());
  beforeEach(() => {
    world.operations.length = 0;
  });

  it('answers 1,000 copies of an unknown id in one POST with one storage read at most', async () => {
    const answer = await post(
      world,
      'notifications',
      copies(1_000, aNotice({ subscriptionId: 'unknown-1' })),
    );
    assert.equal(answer.status, 202);
    assert.ok(world.operations.length <= 2, world.operations.join(', '));
    assert.ok(world.operations.filter((op) => op === 'subscriptions.getById').length <= 1);
  });

  it('remembers an unknown id: 1,000 POSTs of it cost a handful of storage operations', async () => {
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          post(world, 'notifications', { value: [aNotice({ subscriptionId: 'unknown-2' })] }),
        ),
      );
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([202]));
    }
    assert.ok(world.operations.length <= 3, world.operations.join(', '));
  });

  it('answers a notice without clientState with no storage read', async () => {
    const { clientState: _, ...withoutState } = aNotice({ subscriptionId: known.id });
    const answer = await post(world, 'notifications', {
      value: [withoutState, aNotice({ subscriptionId: 'unknown-3', clientState: null })],
    });
    assert.equal(answer.status, 202);
    assert.deepEqual(
      world.operations.filter((op) => op.startsWith('subscriptions.')),
      [],
    );
  });

  it('refuses a POST naming more subscriptions than a Graph delivery holds, with the reason, reading nothing', async () => {
    const many = {
      value: Array.from({ length: 101 }, (_, i) => aNotice({ subscriptionId: `made-up-${i}` })),
    };
    for (const route of ['notifications', 'lifecycle'] as const) {
      const body =
        route === 'lifecycle' ? { value: many.value.map((n) => ({ ...n, lifecycleEvent: 'missed' })) } : many;
      const answer = await post(world, route, body);
      assert.equal(answer.status, 400, route);
      assert.match(answer.body ?? '', /101 subscriptions/);
    }
    assert.deepEqual(world.operations, []);
  });

  it('looks an id up once for both webhooks: they share one subscription cache', async () => {
    await world.services.subscriptions.put({
      ...known,
      id: 'sub-ews',
      userId: '202',
      source: 'ews',
      clientState: null,
    });
    world.operations.length = 0;
    await post(world, 'notifications', { value: [aNotice({ subscriptionId: 'unknown-shared' })] });
    const ews = await world.ews.notifications(
      webhookRequest(aSendNotification({ subscriptionId: 'unknown-shared' })),
    );
    assert.match(ews.body ?? '', /<SubscriptionStatus>Unsubscribe</);
    assert.match(
      (await world.ews.notifications(webhookRequest(aSendNotification({ subscriptionId: 'sub-ews' }))))
        .body ?? '',
      /<SubscriptionStatus>OK</,
    );
    // A Graph notice naming the EWS subscription finds it cached, and is not taken for Graph.
    assert.equal(
      (await post(world, 'notifications', { value: [aNotice({ subscriptionId: 'sub-ews' })] })).status,
      202,
    );
    assert.deepEqual(
      world.operations.filter((op) => op === 'subscriptions.getById'),
      ['subscriptions.getById', 'subscriptions.getById'],
    );
  });

  it('never refuses a delivery of signed notices, however many subscriptions it names, and reads none of them', async () => {
    const value = await Promise.all(
      Array.from({ length: 150 }, async (_, i) =>
        aNotice({
          subscriptionId: `sub-signed-${i}`,
          clientState: await world.services.clientStates.mint(`${300 + i}`),
        }),
      ),
    );
    world.operations.length = 0;
    assert.equal((await post(world, 'notifications', { value })).status, 202);
    assert.deepEqual(
      world.operations.filter((op) => op.startsWith('subscriptions.')),
      [],
    );
  });

  it('handles 1,000 copies of one lifecycle notice once: one read, one log line', async () => {
    const answer = await post(
      world,
      'lifecycle',
      copies(1_000, aNotice({ subscriptionId: known.id, lifecycleEvent: 'missed' })),
    );
    assert.equal(answer.status, 202);
    assert.ok(world.operations.length <= 2, world.operations.join(', '));
    assert.deepEqual(
      world.operations.filter((op) => op.startsWith('log.')),
      ['log.write'],
    );
  });
});
