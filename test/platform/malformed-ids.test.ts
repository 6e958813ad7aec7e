import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpRequest, InvocationContext } from '../../dev/host/azure-functions.ts';
import { adminAppointmentsHttp as appointments } from '../../functions/admin-appointments-http.ts';
import { setServices } from '../../shared/app/services.ts';
import { overrideHttp } from '../../shared/presence-sync/override-http.ts';
import { freshPresenceRecord } from '../../shared/presence-sync/presence-input.ts';
import { aSendNotification } from '../ews/send-notification-builder.ts';
import { anAppointment, aUserRecord, utc } from '../support/builders.ts';
import {
  ADMIN_KEY,
  startWebhookWorld,
  WEBHOOK_SECRET,
  type WebhookWorld,
  webhookRequest,
} from '../support/webhook-world.ts';

/** Ids no store can hold as they are: a lone surrogate (high or low), and far longer than a key. */
const LONE_HIGH = 'sub-\ud800';
const LONE_LOW = '\udc00-201';
const LONG = '7'.repeat(2_000);

const routeRequest = (path: string, id: string, headers: Record<string, string>, body?: string) =>
  new HttpRequest({
    method: body === undefined ? 'GET' : 'POST',
    url: `http://localhost/api/${path}`,
    headers,
    params: { id },
    ...(body === undefined ? {} : { body: { string: body } }),
  });

const context = () =>
  new InvocationContext({ invocationId: 'malformed-ids', functionName: 'test', logHandler: () => undefined });

describe('§5 malformed ids never make a 5xx (production wiring, Azurite)', () => {
  let world: WebhookWorld;

  before(async () => {
    world = await startWebhookWorld();
    setServices(world.services);
  });
  after(async () => {
    setServices(null);
    await world.stop();
  });

  for (const id of [LONE_HIGH, LONE_LOW]) {
    const shown = JSON.stringify(id);
    it(`answers 400 to a Graph change notice whose subscription id is ${shown}`, async () => {
      const body = { value: [{ subscriptionId: id, clientState: 'c3RhdGU', changeType: 'updated' }] };
      const answer = await world.graph.notifications(webhookRequest(JSON.stringify(body)));
      assert.equal(answer.status, 400);
    });

    it(`answers 400 to a Graph lifecycle notice whose subscription id is ${shown}`, async () => {
      const body = { value: [{ subscriptionId: id, clientState: 'c3RhdGU', lifecycleEvent: 'missed' }] };
      const answer = await world.graph.lifecycle(webhookRequest(JSON.stringify(body)));
      assert.equal(answer.status, 400);
    });

    it(`answers 400 to the override route for user ${shown}`, async () => {
      const answer = await overrideHttp(
        world.override,
        routeRequest(
          'phonelink/users/x/override',
          id,
          { authorization: `Bearer ${WEBHOOK_SECRET}` },
          '{"availability":"Available"}',
        ),
      );
      assert.equal(answer.status, 400);
    });

    it(`answers 400 to the admin appointments of user ${shown}`, async () => {
      const answer = await appointments.handler(
        routeRequest('users/x/appointments', id, { authorization: `Bearer ${ADMIN_KEY}` }),
        context(),
      );
      assert.equal(answer.status, 400);
    });
  }

  it('answers 400 to an EWS push whose subscription id is a lone surrogate (a character reference)', async () => {
    for (const reference of ['&#xD800;', '&#xDC00;']) {
      const answer = await world.ews.notifications(
        webhookRequest(aSendNotification({ subscriptionId: `sub${reference}` })),
      );
      assert.equal(answer.status, 400, reference);
      assert.doesNotMatch(answer.body ?? '', /SendNotificationResult/);
    }
  });

  it('answers an id far longer than a table key as unknown, not as a storage failure', async () => {
    const change = await world.graph.notifications(
      webhookRequest(
        JSON.stringify({ value: [{ subscriptionId: LONG.slice(0, 200), clientState: 'c3RhdGU' }] }),
      ),
    );
    assert.equal(change.status, 202);
    const ews = await world.ews.notifications(
      webhookRequest(aSendNotification({ subscriptionId: LONG.slice(0, 512) })),
    );
    assert.match(ews.body ?? '', /<SubscriptionStatus>Unsubscribe</);
    const override = await overrideHttp(
      world.override,
      routeRequest(
        'phonelink/users/x/override',
        LONG.slice(0, 1_000),
        { authorization: `Bearer ${WEBHOOK_SECRET}` },
        '{"availability":null}',
      ),
    );
    assert.equal(override.status, 404);
    const admin = await appointments.handler(
      routeRequest('users/x/appointments', LONG.slice(0, 1_000), { authorization: `Bearer ${ADMIN_KEY}` }),
      context(),
    );
    assert.equal(admin.status, 404);
  });
});

describe('§2 table keys stay within Azure Table storage limits for any id (Azurite)', () => {
  let world: WebhookWorld;
  before(async () => {
    world = await startWebhookWorld();
  });
  after(() => world.stop());

  const ids = [
    LONE_HIGH,
    `${LONE_HIGH}x`,
    LONE_LOW,
    LONG,
    `${LONG}8`,
    'a/b\\c#d?e\u0001f',
    '%sha256.x',
    '😀',
  ];

  it('keeps users, calendars, presence and subscriptions apart under each such id', async () => {
    const { users, calendars, presence, subscriptions } = world.services;
    const readAt = utc('2026-11-24T07:00:00Z');
    for (const [i, id] of ids.entries()) {
      await users.put(aUserRecord(id, { name: `User ${i}`, updatedAt: readAt }));
      await calendars.saveRead(id, {
        readAt,
        because: 'scan',
        calendar: {
          window: { start: readAt, end: readAt + 86_400_000 },
          appointments: [anAppointment({ id: `a-${i}`, subject: `Meeting ${i}` })],
        },
      });
      assert.ok(
        await presence.save({ ...((await presence.get(id)) ?? freshPresenceRecord(id)), sequence: i }),
      );
      await subscriptions.put({
        id: `${id}-sub`,
        userId: id,
        source: 'graph',
        expiresAt: null,
        clientState: `state-${i}`,
        watermark: null,
      });
    }
    for (const [i, id] of ids.entries()) {
      assert.equal((await users.get(id))?.name, `User ${i}`);
      assert.equal((await calendars.get(id))?.appointments[0]?.subject, `Meeting ${i}`);
      assert.equal((await presence.get(id))?.sequence, i);
      assert.equal((await subscriptions.getById(`${id}-sub`))?.clientState, `state-${i}`);
      assert.equal((await subscriptions.getByUser(id))?.id, `${id}-sub`);
    }
    assert.equal((await users.list()).length, ids.length);
  });
});
