import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeWatermark } from '../../dev/exchange-sim/ews/ews-sim-push.ts';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import type { AdminLog } from '../../shared/log/admin-log.ts';
import { CalendarSyncRequests } from '../../shared/notifications/calendar-sync-requests.ts';
import { EwsWebhook } from '../../shared/notifications/ews-notifications.ts';
import { SubscriptionCache } from '../../shared/notifications/subscription-cache.ts';
import type { WorkQueues } from '../../shared/queues/messages.ts';
import type { SubscriptionStore } from '../../shared/storage/stores.ts';
import { utc } from '../support/builders.ts';
import { aSendNotification } from './send-notification-builder.ts';

/** The use case alone, with the storage ports in memory (the route test runs it over Azurite). */
function aWebhook(subscriptions: CalendarSubscription[], options: { storageDown?: boolean } = {}) {
  const sent: unknown[] = [];
  const puts: CalendarSubscription[] = [];
  let now = utc('2026-11-24T09:00:00Z');
  const store: SubscriptionStore = {
    getByUser: async (userId) => subscriptions.find((s) => s.userId === userId) ?? null,
    getById: async (id) => {
      if (options.storageDown) throw new Error('storage down');
      return subscriptions.find((s) => s.id === id) ?? null;
    },
    put: async (subscription) => void puts.push(subscription),
    putAll: async (entries) => void puts.push(...entries.map((e) => e.subscription)),
    delete: async () => undefined,
    list: async () => subscriptions,
  };
  const queues: WorkQueues = { send: async (_queue, message) => void sent.push(message) };
  const log: AdminLog = { write: async () => undefined };
  const webhook = new EwsWebhook({
    known: new SubscriptionCache(store, () => now),
    sync: new CalendarSyncRequests(queues),
    log,
    now: () => now,
  });
  const post = (body: string) =>
    webhook.notifications({
      query: new URLSearchParams(),
      headers: new Headers({ 'content-type': 'text/xml' }),
      body: new Blob([body]).stream(),
    });
  const advance = (ms: number) => {
    now += ms;
  };
  return { post, sent, puts, advance, now: () => now };
}

const anEwsSubscription = (fields: Partial<CalendarSubscription> = {}): CalendarSubscription => ({
  id: 'sub-ann',
  userId: '201',
  source: 'ews',
  expiresAt: utc('2026-11-24T09:00:00Z'),
  clientState: null,
  watermark: encodeWatermark(1),
  ...fields,
});

const change = (sequence: number) =>
  `<t:ModifiedEvent><t:Watermark>${encodeWatermark(sequence)}</t:Watermark><t:TimeStamp>2026-11-24T09:00:00Z</t:TimeStamp><t:ItemId Id="a"/><t:ParentFolderId Id="c"/></t:ModifiedEvent>`;

describe('§5 EWS push receiver', () => {
  it('answers a status ping OK, queues nothing, and writes nothing: anyone holding the id can ping', async () => {
    const world = aWebhook([anEwsSubscription()]);
    const answer = await world.post(aSendNotification({ subscriptionId: 'sub-ann' }));
    assert.equal(answer.status, 200);
    assert.match(answer.body ?? '', /<SubscriptionStatus>OK</);
    assert.deepEqual([world.sent, world.puts], [[], []]);
  });

  it('queues each notification of a burst at once, each job carrying the watermark to keep once read', async () => {
    const world = aWebhook([anEwsSubscription()]);
    for (const sequence of [2, 3, 4]) {
      const answer = await world.post(
        aSendNotification({ subscriptionId: 'sub-ann', events: change(sequence) }),
      );
      assert.match(answer.body ?? '', /<SubscriptionStatus>OK</);
      world.advance(100);
    }
    // notifiedAt is the queue time of the group (the real clock): not part of this check.
    assert.deepEqual(
      world.sent.map((message) => ({ ...(message as object), notifiedAt: 0 })),
      [2, 3, 4].map((sequence) => ({
        userIds: ['201'],
        reason: 'notification',
        outOfOfficeOnly: false,
        notifiedAt: 0,
        ewsWatermarks: [{ userId: '201', subscriptionId: 'sub-ann', watermark: encodeWatermark(sequence) }],
      })),
    );
    assert.deepEqual(world.puts, []);
  });

  it('answers Unsubscribe for an unknown or a Graph subscription, queueing nothing', async () => {
    const world = aWebhook([anEwsSubscription({ id: 'graph-1', source: 'graph' })]);
    for (const id of ['nobody', 'graph-1']) {
      const answer = await world.post(aSendNotification({ subscriptionId: id, events: change(5) }));
      assert.equal(answer.status, 200);
      assert.match(answer.body ?? '', /<SubscriptionStatus>Unsubscribe</);
    }
    assert.deepEqual([world.sent, world.puts], [[], []]);
  });

  it('answers 503 when storage is down, so that Exchange retries', async () => {
    const world = aWebhook([anEwsSubscription()], { storageDown: true });
    const answer = await world.post(aSendNotification({ subscriptionId: 'sub-ann', events: change(5) }));
    assert.equal(answer.status, 503);
    assert.doesNotMatch(answer.body ?? '', /SendNotificationResult/);
  });
});
