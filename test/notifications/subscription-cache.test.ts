import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import {
  KNOWN_FOR_MS,
  SubscriptionCache,
  UNKNOWN_FOR_MS,
} from '../../shared/notifications/subscription-cache.ts';
import { utc } from '../support/builders.ts';
import { startWebhookWorld, type WebhookWorld } from '../support/webhook-world.ts';

const T0 = utc('2026-11-24T09:00:00Z');

const aSubscription = (id: string, userId: string): CalendarSubscription => ({
  id,
  userId,
  source: 'graph',
  expiresAt: null,
  clientState: `state-${id}`,
  watermark: null,
});

describe('§5 the webhooks’ subscription cache (over the subscription store in Azurite)', () => {
  let world: WebhookWorld;
  let now = T0;
  let cache: SubscriptionCache;
  const reads = () => world.operations.filter((op) => op === 'subscriptions.getById').length;

  before(async () => {
    world = await startWebhookWorld();
    cache = new SubscriptionCache(world.services.subscriptions, () => now);
  });
  after(() => world.stop());

  it('finds a subscription stored after its id was asked for, once the miss is forgotten', async () => {
    assert.equal(await cache.get('sub-late', 'graph'), null);
    await world.services.subscriptions.put(aSubscription('sub-late', '201'));
    now = T0 + UNKNOWN_FOR_MS - 1;
    assert.equal(await cache.get('sub-late', 'graph'), null);
    now = T0 + UNKNOWN_FOR_MS;
    assert.equal((await cache.get('sub-late', 'graph'))?.userId, '201');
  });

  it('keeps a known subscription a minute, then reads it again (a deletion elsewhere shows)', async () => {
    const before = reads();
    const at = now;
    now = at + KNOWN_FOR_MS - 1;
    assert.equal((await cache.get('sub-late', 'graph'))?.userId, '201');
    assert.equal(reads(), before);
    await world.services.subscriptions.delete(aSubscription('sub-late', '201'));
    now = at + KNOWN_FOR_MS;
    assert.equal(await cache.get('sub-late', 'graph'), null);
    assert.equal(reads(), before + 1);
  });

  it('answers concurrent lookups of one id with one read, and one source’s id is none of the other’s', async () => {
    await world.services.subscriptions.put(aSubscription('sub-both', '202'));
    const before = reads();
    const found = await Promise.all([
      ...Array.from({ length: 50 }, () => cache.get('sub-both', 'graph')),
      cache.get('sub-both', 'ews'),
    ]);
    assert.equal(reads(), before + 1);
    assert.deepEqual(new Set(found.map((s) => s?.userId ?? null)), new Set(['202', null]));
  });
});
