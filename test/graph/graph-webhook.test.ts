import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type RunningAzurite, startAzurite } from '../../dev/azurite.ts';
import { createServices, type Services } from '../../shared/app/services.ts';
import { wireGraphWebhook } from '../../shared/app/wire-webhooks.ts';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import { CLIENT_STATE_VALID_MS, ClientStates } from '../../shared/calendar/client-states.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { Secret } from '../../shared/config/secret.ts';
import type { Settings } from '../../shared/config/settings.ts';
import type { GraphWebhook } from '../../shared/notifications/graph-notifications.ts';
import { MAX_BODY_BYTES, type WebhookRequest } from '../../shared/notifications/graph-webhook-http.ts';
import { SubscriptionCache } from '../../shared/notifications/subscription-cache.ts';
import { calendarSyncMessage, QUEUES, type WorkQueues } from '../../shared/queues/messages.ts';
import { StorageWorkQueues } from '../../shared/queues/storage-work-queues.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { createStorageClients } from '../../shared/storage/storage-clients.ts';
import type { SubscriptionStore } from '../../shared/storage/stores.ts';

const NOW = Date.UTC(2026, 10, 24, 9);
let now = NOW;

/** Real Storage queues, with every send remembered so the test can read what the webhook queued. */
class RememberingQueues implements WorkQueues {
  readonly sent: { queue: string; message: unknown; delaySeconds: number }[] = [];
  readonly #inner: WorkQueues;
  constructor(inner: WorkQueues) {
    this.#inner = inner;
  }
  async send(queue: (typeof QUEUES)[keyof typeof QUEUES], message: unknown, delaySeconds = 0): Promise<void> {
    await this.#inner.send(queue, message, delaySeconds);
    this.sent.push({ queue, message, delaySeconds });
  }
}

function aSubscription(overrides: Partial<CalendarSubscription> = {}): CalendarSubscription {
  return {
    id: 'sub-ann',
    userId: '201',
    source: 'graph',
    expiresAt: NOW + 86_400_000,
    clientState: 'c2VjcmV0LWFubi1jbGllbnQtc3RhdGU',
    watermark: null,
    ...overrides,
  };
}

function aNotice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subscriptionId: 'sub-ann',
    clientState: 'c2VjcmV0LWFubi1jbGllbnQtc3RhdGU',
    changeType: 'updated',
    resource: 'Users/0f3c/Events/AAMk',
    tenantId: 'tenant',
    subscriptionExpirationDateTime: '2026-11-30T09:00:00Z',
    ...overrides,
  };
}

function request(options: {
  query?: string;
  body?: string | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
}): WebhookRequest {
  const body = options.body;
  return {
    query: new URLSearchParams(options.query ?? ''),
    headers: new Headers(options.headers ?? { 'content-type': 'application/json' }),
    body: body === undefined ? null : typeof body === 'string' ? new Blob([body]).stream() : body,
  };
}

const json = (value: unknown) => request({ body: JSON.stringify(value) });

/** clientStates signed under a key made of `fill`, on the test's clock. */
const signing = (fill: number) =>
  new ClientStates(
    async () => ({ current: Buffer.alloc(32, fill), previous: null, rotatedAt: null }),
    () => now,
  );

describe('§5 Graph webhook', () => {
  let azurite: RunningAzurite;
  let subscriptions: SubscriptionStore;
  let storageQueues: StorageWorkQueues;
  let queues: RememberingQueues;
  let webhook: GraphWebhook;
  let settings: Settings;
  /** The production webhook (shared/app/wire-webhooks.ts), on its own services: its own queue writes and cache. */
  const graphWebhook = (overrides: Partial<Services> = {}) =>
    wireGraphWebhook(
      createServices(settings, { queues, clock: { now: () => now, sleep: systemClock.sleep }, ...overrides }),
    );

  before(async () => {
    azurite = await startAzurite();
    const clients = createStorageClients({
      kind: 'connectionString',
      connectionString: new Secret(azurite.connectionString),
    });
    settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
    subscriptions = createServices(settings).subscriptions;
    storageQueues = new StorageWorkQueues(clients.queueService);
    await subscriptions.put(aSubscription());
    await subscriptions.put(aSubscription({ id: 'sub-bob', userId: '202', clientState: 'Ym9iLXN0YXRl' }));
  });

  after(async () => {
    await azurite.stop();
  });

  beforeEach(() => {
    now += 60_000;
    queues = new RememberingQueues(storageQueues);
    webhook = graphWebhook();
  });

  describe('validation handshake', () => {
    for (const route of ['notifications', 'lifecycle'] as const) {
      it(`echoes the decoded validationToken as text/plain on the ${route} route`, async () => {
        const answer = await webhook[route](
          request({ query: 'validationToken=Validation%3A%20Testing%20client%20application' }),
        );
        assert.equal(answer.status, 200);
        assert.equal(answer.headers['Content-Type'], 'text/plain');
        assert.equal(answer.body, 'Validation: Testing client application');
        assert.equal(queues.sent.length, 0);
      });
    }
  });

  describe('change notifications', () => {
    it('queues one immediate calendar re-read for a notice with the right clientState, and answers 202', async () => {
      const answer = await webhook.notifications(json({ value: [aNotice()] }));
      assert.equal(answer.status, 202);
      assert.equal(queues.sent.length, 1);
      const sent = queues.sent[0];
      assert.equal(sent?.queue, QUEUES.calendarChanges);
      assert.equal(sent?.delaySeconds, 0);
      const message = calendarSyncMessage.parse(sent?.message);
      assert.deepEqual(message.userIds, ['201']);
      assert.equal(message.reason, 'notification');
      assert.equal(message.notifiedAt, now);
    });

    it('ignores a notice with a wrong clientState: 202, nothing queued', async () => {
      const answer = await webhook.notifications(json({ value: [aNotice({ clientState: 'guessed' })] }));
      assert.equal(answer.status, 202);
      assert.equal(queues.sent.length, 0);
    });

    it('ignores a notice without clientState or for an unknown subscription', async () => {
      const answer = await webhook.notifications(
        json({ value: [aNotice({ clientState: null }), aNotice({ subscriptionId: 'sub-nobody' })] }),
      );
      assert.equal(answer.status, 202);
      assert.equal(queues.sent.length, 0);
    });

    it('does not let one user’s clientState open another user’s subscription', async () => {
      await webhook.notifications(json({ value: [aNotice({ subscriptionId: 'sub-bob' })] }));
      assert.equal(queues.sent.length, 0);
    });

    it('takes a signed clientState as proof of its user, with no subscription read', async () => {
      const clientStates = signing(7);
      const signed = await clientStates.mint('301');
      assert.ok(signed.length <= 128);
      const notFound: SubscriptionStore['getById'] = async () => assert.fail('no read expected');
      webhook = graphWebhook({
        subscriptionCache: new SubscriptionCache({ getById: notFound }, () => now),
        clientStates,
      });
      const answer = await webhook.notifications(
        json({ value: [aNotice({ subscriptionId: 'sub-unknown-to-storage', clientState: signed })] }),
      );
      assert.equal(answer.status, 202);
      assert.deepEqual(calendarSyncMessage.parse(queues.sent[0]?.message).userIds, ['301']);
    });

    it('signs clientStates on the clock the product is given, so its own webhook takes them', async () => {
      const services = createServices(settings, {
        queues,
        clock: { now: () => now, sleep: systemClock.sleep },
      });
      const clientState = await services.clientStates.mint('209');
      webhook = wireGraphWebhook(services);
      const answer = await webhook.notifications(
        json({ value: [aNotice({ subscriptionId: 'sub-new', clientState })] }),
      );
      assert.equal(answer.status, 202);
      assert.deepEqual(calendarSyncMessage.parse(queues.sent[0]?.message).userIds, ['209']);
    });

    it('ignores a signed clientState that was altered, or signed under another key', async () => {
      const clientStates = signing(7);
      const other = signing(8);
      const signed = await clientStates.mint('301');
      const [version, , issued, nonce, mac] = signed.split('.');
      const otherUser = `${version}.${Buffer.from('302').toString('base64url')}.${issued}.${nonce}.${mac}`;
      webhook = graphWebhook({ clientStates });
      for (const clientState of [otherUser, `${signed.slice(0, -2)}AA`, await other.mint('301')]) {
        assert.equal((await clientStates.check(clientState)).kind, 'forged');
        const answer = await webhook.notifications(json({ value: [aNotice({ clientState })] }));
        assert.equal(answer.status, 202);
      }
      assert.equal(queues.sent.length, 0);
      // A clientState of the old random kind is still checked against its subscription.
      await webhook.notifications(json({ value: [aNotice()] }));
      assert.deepEqual(calendarSyncMessage.parse(queues.sent[0]?.message).userIds, ['201']);
    });

    it('still takes a signed clientState whose key was lost, checked against its stored subscription', async () => {
      const lost = signing(9);
      const clientState = await lost.mint('203');
      await subscriptions.put(aSubscription({ id: 'sub-cy', userId: '203', clientState }));
      const clientStates = signing(7);
      webhook = graphWebhook({ clientStates });
      await webhook.notifications(json({ value: [aNotice({ subscriptionId: 'sub-cy', clientState })] }));
      assert.deepEqual(calendarSyncMessage.parse(queues.sent[0]?.message).userIds, ['203']);
    });

    it('ignores a signed clientState once it has expired, even one its stored subscription holds', async () => {
      const keys = async () => ({ current: Buffer.alloc(32, 7), previous: null, rotatedAt: null });
      const clientState = await new ClientStates(keys, () => now - CLIENT_STATE_VALID_MS).mint('204');
      await subscriptions.put(aSubscription({ id: 'sub-dee', userId: '204', clientState }));
      webhook = graphWebhook({ clientStates: signing(7) });
      const answer = await webhook.notifications(
        json({ value: [aNotice({ subscriptionId: 'sub-dee', clientState })] }),
      );
      assert.equal(answer.status, 202);
      assert.equal(queues.sent.length, 0);
    });

    it('queues every POST at once, however close to the one before, each saying when its notices had arrived', async () => {
      const burst = [aNotice({ changeType: 'created' }), aNotice(), aNotice({ changeType: 'deleted' })];
      const first = now;
      await webhook.notifications(json({ value: burst }));
      now += 200;
      await webhook.notifications(json({ value: [aNotice({ changeType: 'deleted' })] }));
      const sent = queues.sent.map(({ message, delaySeconds }) => {
        const { userIds, notifiedAt, coveredUntil } = calendarSyncMessage.parse(message);
        return { userIds, delaySeconds, notifiedAt, coveredUntil };
      });
      assert.deepEqual(sent, [
        { userIds: ['201'], delaySeconds: 0, notifiedAt: first, coveredUntil: undefined },
        { userIds: ['201'], delaySeconds: 0, notifiedAt: first + 200, coveredUntil: undefined },
      ]);
    });

    it('puts several users of one POST into one job', async () => {
      await webhook.notifications(
        json({ value: [aNotice(), aNotice({ subscriptionId: 'sub-bob', clientState: 'Ym9iLXN0YXRl' })] }),
      );
      assert.equal(queues.sent.length, 1);
      assert.deepEqual(calendarSyncMessage.parse(queues.sent[0]?.message).userIds.sort(), ['201', '202']);
    });
  });

  describe('the acknowledgement waits for nothing but validation and the queue write', () => {
    /** An administrators' log that never answers: whatever waits for it never answers either. */
    const stuckLog = { write: () => new Promise<void>(() => undefined) };
    const withStuckLog = () => graphWebhook({ log: stuckLog });

    it('answers a notice it ignores without waiting for the log line', async () => {
      const answer = await withStuckLog().notifications(
        json({ value: [aNotice({ clientState: 'guessed' })] }),
      );
      assert.equal(answer.status, 202);
      assert.equal(queues.sent.length, 0);
    });

    it('answers a lifecycle notice once its resync is queued, without waiting for the log line', async () => {
      const answer = await withStuckLog().lifecycle(
        json({ value: [aNotice({ lifecycleEvent: 'reauthorizationRequired' })] }),
      );
      assert.equal(answer.status, 202);
      assert.equal(calendarSyncMessage.parse(queues.sent[0]?.message).reason, 'resync');
    });
  });

  describe('bad input never makes a 5xx', () => {
    const cases = [
      { name: 'no body', req: () => request({}), status: 400 },
      { name: 'not JSON', req: () => request({ body: '{"value": [' }), status: 400 },
      { name: 'JSON of the wrong shape', req: () => json({ value: 'x' }), status: 400 },
      { name: 'an empty value list', req: () => json({ value: [] }), status: 400 },
      {
        name: 'a notice without subscriptionId',
        req: () => json({ value: [{ clientState: 'x' }] }),
        status: 400,
      },
      { name: 'a JSON array', req: () => json([1, 2]), status: 400 },
      {
        name: 'invalid UTF-8',
        req: () => request({ body: new Blob([new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]).stream() }),
        status: 400,
      },
      {
        name: 'an oversized declared body',
        req: () => request({ body: '{}', headers: { 'content-length': String(MAX_BODY_BYTES + 1) } }),
        status: 413,
      },
      {
        name: 'an oversized streamed body',
        req: () => request({ body: new Blob([`{"value":"${'x'.repeat(MAX_BODY_BYTES)}"}`]).stream() }),
        status: 413,
      },
    ];
    for (const { name, req, status } of cases) {
      it(`answers ${status} to ${name}`, async () => {
        const answer = await webhook.notifications(req());
        assert.equal(answer.status, status);
        assert.match(answer.body ?? '', /"error"/);
        assert.equal(queues.sent.length, 0);
      });
    }
  });

  describe('lifecycle notifications', () => {
    it('answers reauthorizationRequired and missed with a resync', async () => {
      for (const lifecycleEvent of ['reauthorizationRequired', 'missed']) {
        now += 5_000;
        queues.sent.length = 0;
        const answer = await webhook.lifecycle(json({ value: [aNotice({ lifecycleEvent })] }));
        assert.equal(answer.status, 202);
        assert.equal(calendarSyncMessage.parse(queues.sent[0]?.message).reason, 'resync', lifecycleEvent);
      }
    });

    it('forgets a removed subscription and resyncs, so it is created anew', async () => {
      await subscriptions.put(aSubscription({ id: 'sub-cy', userId: '203', clientState: 'Y3k' }));
      const answer = await webhook.lifecycle(
        json({
          value: [
            aNotice({ subscriptionId: 'sub-cy', clientState: 'Y3k', lifecycleEvent: 'subscriptionRemoved' }),
          ],
        }),
      );
      assert.equal(answer.status, 202);
      assert.equal(await subscriptions.getById('sub-cy'), null);
      assert.deepEqual(calendarSyncMessage.parse(queues.sent[0]?.message).userIds, ['203']);
    });

    it('ignores a lifecycle notice under an expired signed clientState, even one its stored subscription holds', async () => {
      const keys = async () => ({ current: Buffer.alloc(32, 7), previous: null, rotatedAt: null });
      const clientState = await new ClientStates(keys, () => now - CLIENT_STATE_VALID_MS).mint('205');
      await subscriptions.put(aSubscription({ id: 'sub-eve', userId: '205', clientState }));
      webhook = graphWebhook({ clientStates: signing(7) });
      const notice = aNotice({
        subscriptionId: 'sub-eve',
        clientState,
        lifecycleEvent: 'subscriptionRemoved',
      });
      assert.equal((await webhook.lifecycle(json({ value: [notice] }))).status, 202);
      assert.equal(queues.sent.length, 0);
      assert.equal((await subscriptions.getById('sub-eve'))?.userId, '205');
    });

    it('ignores a lifecycle notice with a wrong clientState', async () => {
      await webhook.lifecycle(json({ value: [aNotice({ clientState: 'nope', lifecycleEvent: 'missed' })] }));
      assert.equal(queues.sent.length, 0);
    });
  });
});
