import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EwsSim } from '../../dev/exchange-sim/ews/ews-sim.ts';
import { encodeWatermark } from '../../dev/exchange-sim/ews/ews-sim-push.ts';
import { mountedEws } from '../../dev/exchange-sim/ews/mount-ews.ts';
import { getServices } from '../../shared/app/services.ts';
import { type ExchangeWorld, startExchangeWorld } from '../graph/support/exchange-world.ts';
import { aSendNotification } from './send-notification-builder.ts';

const ROUTE = '/api/notifications/ews';
const SOAP = { 'content-type': 'text/xml; charset=utf-8' };

describe('§5 the EWS notification route (functions host, Azurite, simulated EWS)', () => {
  let world: ExchangeWorld;
  let sim: EwsSim;
  const users = [{ id: '301', email: 'user301@contoso.com' }];

  before(async () => {
    world = await startExchangeWorld({ source: 'ews', users });
    const mounted = mountedEws(world.exchange);
    assert.ok(mounted);
    sim = mounted.sim;
    await world.waitFor('the scan to subscribe the user', () => sim.subscriptionIds().length === 1);
    await world.waitForPresence('301', () => true);
  });
  after(async () => {
    await world?.stop();
  });

  it('logs SPEC §6: Starting EWS, the URL, the version, then the subscribing lines', async () => {
    const lines = (await getServices().logReader.readAfter(null, 1_000)).map((entry) => entry.line);
    const url = mountedEws(world.exchange)?.url.href;
    const start = lines.indexOf('Starting EWS');
    assert.ok(start >= 0, lines.join('\n'));
    assert.deepEqual(lines.slice(start, start + 3), [
      'Starting EWS',
      `Using EWS URL: ${url}`,
      'Connected to EWS Microsoft Exchange(v15.02.1544.0004)',
    ]);
    const subscribing = lines.indexOf('Subscribing to availability of user: user301@contoso.com');
    assert.ok(subscribing > start + 2, lines.join('\n'));
  });

  const post = async (body: string) => {
    const answer = await world.post(ROUTE, body, SOAP);
    return { status: answer.status, text: await answer.text() };
  };

  it('answers a status ping for a known subscription OK, with no read from Exchange', async () => {
    const [id] = sim.subscriptionIds();
    const reads = sim.requests.length;
    const answer = await post(aSendNotification({ subscriptionId: id ?? '' }));
    assert.equal(answer.status, 200);
    assert.match(answer.text, /<SubscriptionStatus>OK<\/SubscriptionStatus>/);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(sim.requests.length, reads);
  });

  it('lets no status ping move the subscription: its deadline and watermark stay as Subscribe left them', async () => {
    const before = await getServices().subscriptions.getByUser('301');
    assert.ok(before);
    const answer = await post(aSendNotification({ subscriptionId: before.id }));
    assert.match(answer.text, /<SubscriptionStatus>OK<\/SubscriptionStatus>/);
    assert.deepEqual(await getServices().subscriptions.getByUser('301'), before);
  });

  it("keeps an event's watermark once the calendar read it led to has succeeded", async () => {
    const subscription = await getServices().subscriptions.getByUser('301');
    assert.ok(subscription);
    const watermark = encodeWatermark(4242);
    const event = `<t:ModifiedEvent><t:Watermark>${watermark}</t:Watermark><t:TimeStamp>${new Date().toISOString()}</t:TimeStamp><t:ItemId Id="a"/><t:ParentFolderId Id="c"/></t:ModifiedEvent>`;
    const answer = await post(aSendNotification({ subscriptionId: subscription.id, events: event }));
    assert.match(answer.text, /<SubscriptionStatus>OK<\/SubscriptionStatus>/);
    await world.waitFor(
      'the watermark kept after the read',
      async () => (await getServices().subscriptions.getByUser('301'))?.watermark === watermark,
    );
    assert.ok(
      sim.requests.some((r) => r.operation === 'FindItem' && r.impersonated === 'user301@contoso.com'),
    );
  });

  it('answers Unsubscribe for a subscription it does not hold, without calling Exchange', async () => {
    const reads = sim.requests.length;
    const answer = await post(aSendNotification({ subscriptionId: 'not-one-of-ours' }));
    assert.equal(answer.status, 200);
    assert.match(answer.text, /<SubscriptionStatus>Unsubscribe<\/SubscriptionStatus>/);
    assert.equal(sim.requests.length, reads);
  });

  const hostile = [
    {
      name: 'XXE',
      body: aSendNotification({
        prolog: '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        subscriptionId: '&xxe;',
      }),
      status: 400,
    },
    {
      name: 'billion laughs',
      body: aSendNotification({
        prolog: `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "${'&a;'.repeat(10)}"><!ENTITY c "${'&b;'.repeat(10)}">]>`,
        subscriptionId: '&c;',
      }),
      status: 400,
    },
    {
      name: 'an oversized body',
      body: aSendNotification({ subscriptionId: 'x'.repeat(2 * 1024 * 1024) }),
      status: 413,
    },
    { name: 'malformed XML', body: '<soap:Envelope><soap:Body>', status: 400 },
    {
      name: 'SOAP that is not a SendNotification',
      body: aSendNotification().replaceAll('SendNotification', 'FindItem'),
      status: 400,
    },
    { name: 'an empty body', body: '', status: 400 },
  ];
  for (const c of hostile) {
    it(`refuses ${c.name} with ${c.status}, never a SendNotificationResult`, async () => {
      const answer = await post(c.body);
      assert.equal(answer.status, c.status);
      assert.doesNotMatch(answer.text, /SendNotificationResult|root:/);
    });
  }

  it('still works after the hostile bodies', async () => {
    const [id] = sim.subscriptionIds();
    const answer = await post(aSendNotification({ subscriptionId: id ?? '' }));
    assert.equal(answer.status, 200);
  });
});
