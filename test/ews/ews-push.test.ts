import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { CalendarSubscription, Mailbox } from '../../shared/calendar/calendar-source.ts';
import {
  readSendNotification,
  sendNotificationResult,
} from '../../shared/notifications/ews-send-notification.ts';
import { type EwsWorld, startEwsWorld } from './ews-fixture.ts';

/** A callback that answers as it is told: OK, Unsubscribe, or 503 (an outage). */
interface Callback {
  readonly url: URL;
  mode: 'OK' | 'Unsubscribe' | 'down';
  readonly received: { subscriptionId: string; path: string; body: string }[];
  close(): Promise<void>;
}

async function startCallback(): Promise<Callback> {
  const received: Callback['received'] = [];
  const callback = { mode: 'OK' as Callback['mode'], received };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks).toString('utf8');
    const parsed = readSendNotification(body);
    if (!parsed.ok) return void res.writeHead(400).end();
    received.push({ subscriptionId: parsed.value.subscriptionId, path: req.url ?? '', body });
    if (callback.mode === 'down') return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'text/xml' }).end(sendNotificationResult(callback.mode));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(callback, {
    url: new URL(`http://127.0.0.1:${port}`),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const HOUR = 3_600_000;

describe('§5 EWS push subscriptions against the simulated Exchange', () => {
  let world: EwsWorld;
  let callback: Callback;
  // One simulated minute of StatusFrequency lasts 200 ms.
  before(async () => {
    world = await startEwsWorld({ sim: { push: { minuteMs: 200, retryBaseMs: 20 } } });
    callback = await startCallback();
  });
  after(async () => {
    await world.stop();
    await callback.close();
  });

  const subscribeOne = async (
    email: string,
    existing: CalendarSubscription | null = null,
    now: number = Date.now(),
  ) => {
    if (!world.mailboxes.findUser(email)) world.mailboxes.addUser({ email });
    const mailbox: Mailbox = { userId: email, email };
    const source = world.source({ callbackUrl: callback.url, statusFrequencyMinutes: 1, now: () => now });
    const result = (await source.subscribe([{ mailbox, existing }])).get(email);
    assert.ok(result?.ok, JSON.stringify(result));
    return result.value;
  };

  it('subscribes the calendar with push to CALLBACK_URL/api/notifications/ews and delivers changes', async () => {
    callback.mode = 'OK';
    const subscription = await subscribeOne('push@contoso.com');
    assert.equal(subscription.source, 'ews');
    assert.ok(subscription.watermark);
    assert.ok(world.sim.subscriptionIds().includes(subscription.id));
    const mine = () => callback.received.filter((r) => r.subscriptionId === subscription.id);
    const event = world.mailboxes.createEvent('push@contoso.com', {
      subject: 'New',
      start: Date.now() + 60_000,
      end: Date.now() + 120_000,
    });
    await until('the CreatedEvent', () => mine().some((r) => r.body.includes('CreatedEvent')));
    world.mailboxes.deleteEvent('push@contoso.com', event.id);
    // Outlook's delete moves the item to Deleted Items: a MovedEvent.
    await until('the MovedEvent', () => mine().some((r) => r.body.includes('MovedEvent')));
    await until('a status ping', () => mine().some((r) => r.body.includes('StatusEvent')));
    assert.ok(mine().every((r) => r.path === '/api/notifications/ews'));
  });

  it('keeps a subscription made lately instead of making another, 20 hours on as well', async () => {
    callback.mode = 'OK';
    const subscription = await subscribeOne('keep@contoso.com');
    const requests = world.sim.requests.length;
    assert.deepEqual(await subscribeOne('keep@contoso.com', subscription), subscription);
    assert.deepEqual(
      await subscribeOne('keep@contoso.com', subscription, Date.now() + 20 * HOUR),
      subscription,
    );
    assert.equal(world.sim.requests.length, requests);
  });

  it('re-subscribes from the watermark within 24 hours of the Subscribe, however alive it looks', async () => {
    callback.mode = 'OK';
    const email = 'daily@contoso.com';
    const subscription = await subscribeOne(email);
    await until('a status ping', () =>
      callback.received.some((r) => r.subscriptionId === subscription.id && r.body.includes('StatusEvent')),
    );
    const made = world.mailboxes.createEvent(email, {
      subject: 'Since',
      start: Date.now(),
      end: Date.now() + 60_000,
    });
    const renewed = await subscribeOne(email, subscription, Date.now() + 21 * HOUR + 1);
    assert.notEqual(renewed.id, subscription.id);
    // Resumed from the Subscribe's watermark: the event since then comes again on the new one.
    await until('the CreatedEvent on the new subscription', () =>
      callback.received.some((r) => r.subscriptionId === renewed.id && r.body.includes(made.id)),
    );
  });

  it('stops pushing once answered Unsubscribe', async () => {
    callback.mode = 'Unsubscribe';
    const subscription = await subscribeOne('leaver@contoso.com');
    world.mailboxes.createEvent('leaver@contoso.com', {
      subject: 'x',
      start: Date.now(),
      end: Date.now() + 60_000,
    });
    await until('the subscription to end', () => !world.sim.subscriptionIds().includes(subscription.id));
    const count = callback.received.filter((r) => r.subscriptionId === subscription.id).length;
    world.mailboxes.createEvent('leaver@contoso.com', {
      subject: 'y',
      start: Date.now(),
      end: Date.now() + 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(callback.received.filter((r) => r.subscriptionId === subscription.id).length, count);
  });

  it('retries while the callback is down, then Exchange drops it; re-subscribing resumes from the watermark', async () => {
    callback.mode = 'down';
    const email = 'outage@contoso.com';
    const subscription = await subscribeOne(email);
    const missed = world.mailboxes.createEvent(email, {
      subject: 'While down',
      start: Date.now(),
      end: Date.now() + 60_000,
    });
    await until('Exchange to give up', () => !world.sim.subscriptionIds().includes(subscription.id));
    const attempts = world.sim.pushes.filter((p) => p.subscriptionId === subscription.id);
    assert.ok(attempts.length >= 2, `retried (${attempts.length} attempts)`);
    assert.ok(attempts.every((p) => p.status === 503));

    callback.mode = 'OK';
    // Its deadline has passed: the adapter subscribes again with the stored watermark.
    const lapsed = { ...subscription, expiresAt: Date.now() - 1 };
    const resumed = await subscribeOne(email, lapsed);
    assert.notEqual(resumed.id, subscription.id);
    await until('the missed CreatedEvent', () =>
      callback.received.some((r) => r.subscriptionId === resumed.id && r.body.includes(missed.id)),
    );
  });
});
