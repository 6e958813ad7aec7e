import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Client, GraphError } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import type { SimUser } from '../../dev/exchange-sim/mailboxes.ts';
import { bearer, CLIENT_ID, graphClient, startSim } from './fixtures.ts';

const ErrorBody = z.object({ error: z.object({ code: z.string() }).optional() });
const BatchBody = z.object({ responses: z.array(z.object({ id: z.string(), status: z.number() })) });
const WINDOW = 'startDateTime=2026-11-23T00:00:00Z&endDateTime=2026-11-30T00:00:00Z';

function graphCode(error: unknown): { status: number; code: string | null } {
  assert.ok(error instanceof GraphError, String(error));
  return { status: error.statusCode, code: error.code };
}

async function ids(client: Client, filter: string): Promise<string[]> {
  const page: { value: { id: string }[] } = await client
    .api('/users')
    .filter(filter)
    .select('id,mail,userPrincipalName')
    .get();
  return page.value.map((u) => u.id);
}

describe('simulated Graph: users are keyed by id or userPrincipalName', () => {
  let sim: ExchangeSimulator;
  let client: Client;
  let ann: SimUser;
  let bob: SimUser;

  before(async () => {
    sim = await startSim();
    client = graphClient(sim);
    ann = sim.mailboxes.addUser({ email: 'ann.smith@contoso.com', aliases: ['ann@contoso.com'] });
    bob = sim.mailboxes.addUser({ email: 'bob@contoso.com', userPrincipalName: 'bob@contoso.com' });
  });
  after(() => sim.stop());

  it('gives each mailbox a UPN in the initial domain unless told, so it differs from the mail address', () => {
    assert.equal(ann.userPrincipalName, 'ann.smith@contoso.onmicrosoft.com');
    assert.deepEqual(ann.proxyAddresses, ['SMTP:ann.smith@contoso.com', 'smtp:ann@contoso.com']);
  });

  it('answers /users/{id} and /users/{upn}, and 404 for the primary address or an alias that is not the UPN', async () => {
    for (const key of [ann.id, ann.userPrincipalName.toUpperCase()]) {
      const user: { id: string } = await client.api(`/users/${key}`).get();
      assert.equal(user.id, ann.id);
    }
    for (const key of [ann.mail, 'ann@contoso.com']) {
      await assert.rejects(client.api(`/users/${key}`).get(), (error) => {
        assert.deepEqual(graphCode(error), { status: 404, code: 'Request_ResourceNotFound' });
        return true;
      });
      await assert.rejects(client.api(`/users/${key}/calendarView?${WINDOW}`).get(), (error) => {
        assert.deepEqual(graphCode(error), { status: 404, code: 'ErrorInvalidUser' });
        return true;
      });
    }
    const events: { value: unknown[] } = await client.api(`/users/${bob.mail}/calendarView?${WINDOW}`).get();
    assert.deepEqual(events.value, [], "bob's mail address is also his UPN");
  });

  it('finds a user by mail, alias or UPN with $filter, without ConsistencyLevel, ignoring case', async () => {
    const byAddress = (address: string) =>
      `mail eq '${address}' or proxyAddresses/any(p:p eq 'smtp:${address}') or userPrincipalName eq '${address}'`;
    assert.deepEqual(await ids(client, byAddress('Ann.Smith@contoso.com')), [ann.id]);
    assert.deepEqual(await ids(client, byAddress('ann@contoso.com')), [ann.id]);
    assert.deepEqual(await ids(client, byAddress('ann.smith@contoso.onmicrosoft.com')), [ann.id]);
    assert.deepEqual(await ids(client, byAddress('nobody@contoso.com')), []);
    assert.deepEqual(await ids(client, "mail eq 'o''brien@contoso.com'"), []);
  });

  it('answers proxyAddresses only when $select names it', async () => {
    const plain: { value: Record<string, unknown>[] } = await client
      .api('/users')
      .filter(`mail eq '${ann.mail}'`)
      .get();
    assert.equal(plain.value[0]?.proxyAddresses, undefined);
    const selected: { value: Record<string, unknown>[] } = await client
      .api('/users')
      .filter(`mail eq '${ann.mail}'`)
      .select('id,proxyAddresses')
      .get();
    assert.deepEqual(selected.value[0]?.proxyAddresses, ann.proxyAddresses);
  });

  it('answers 400 Request_UnsupportedQuery to a filter it does not take', async () => {
    await assert.rejects(client.api('/users').filter("endsWith(mail,'@contoso.com')").get(), (error) => {
      assert.deepEqual(graphCode(error), { status: 400, code: 'Request_UnsupportedQuery' });
      return true;
    });
  });

  it('refuses a subscription whose resource names the user by mail address', async () => {
    const answer = await fetch(`${sim.graphBaseUrl}/v1.0/subscriptions`, {
      method: 'POST',
      headers: { authorization: await bearer(sim), 'content-type': 'application/json' },
      body: JSON.stringify({
        changeType: 'created',
        notificationUrl: 'https://app.invalid/api/notifications/graph',
        resource: `users/${ann.mail}/events`,
        expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    });
    assert.equal(answer.status, 404);
  });
});

describe('simulated Graph: application permissions from the token', () => {
  let sim: ExchangeSimulator;
  let ann: SimUser;

  before(async () => {
    sim = await startSim({ tokenLifetimeSeconds: 3599 });
    ann = sim.mailboxes.addUser({ email: 'ann@contoso.com' });
  });
  after(() => sim.stop());

  /** A fresh token (roles are fixed when it is issued) and one request with it. */
  async function get(path: string): Promise<{ status: number; code: unknown }> {
    const answer = await fetch(`${sim.graphBaseUrl}/v1.0${path}`, {
      headers: { authorization: await bearer(sim) },
    });
    const body = ErrorBody.parse(await answer.json());
    return { status: answer.status, code: body.error?.code ?? null };
  }

  function roles(token: string): unknown {
    const payload = token.split(' ')[1]?.split('.')[1] ?? '';
    const claims: { roles?: unknown } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims.roles;
  }

  it('lists the granted application permissions in the roles claim, and leaves it out when none are', async () => {
    sim.setRoles(CLIENT_ID, ['Calendars.Read']);
    assert.deepEqual(roles(await bearer(sim)), ['Calendars.Read']);
    sim.setRoles(CLIENT_ID, []);
    assert.equal(roles(await bearer(sim)), undefined);
  });

  const cases = [
    {
      missing: 'Calendars.Read',
      path: () => `/users/${ann.id}/calendarView?${WINDOW}`,
      code: 'ErrorAccessDenied',
    },
    {
      missing: 'MailboxSettings.Read',
      path: () => `/users/${ann.id}/mailboxSettings`,
      code: 'ErrorAccessDenied',
    },
    {
      missing: 'User.Read.All',
      path: () => `/users?$filter=mail eq '${ann.mail}'`,
      code: 'Authorization_RequestDenied',
    },
  ];
  for (const { missing, path, code } of cases) {
    it(`answers 403 ${code} without ${missing}, and 200 once it is granted`, async () => {
      const all = ['Calendars.Read', 'MailboxSettings.Read', 'User.Read.All'];
      sim.setRoles(
        CLIENT_ID,
        all.filter((r) => r !== missing),
      );
      assert.deepEqual(await get(path()), { status: 403, code });
      sim.setRoles(CLIENT_ID, all);
      assert.deepEqual(await get(path()), { status: 200, code: null });
    });
  }

  it('answers 403 inside a $batch for the part the token has no permission for', async () => {
    sim.setRoles(CLIENT_ID, ['MailboxSettings.Read']);
    const answer = await fetch(`${sim.graphBaseUrl}/v1.0/$batch`, {
      method: 'POST',
      headers: { authorization: await bearer(sim), 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { id: 'cal', method: 'GET', url: `/users/${ann.id}/calendarView?${WINDOW}` },
          { id: 'oof', method: 'GET', url: `/users/${ann.id}/mailboxSettings` },
        ],
      }),
    });
    const body = BatchBody.parse(await answer.json());
    assert.deepEqual(body.responses.map((r) => [r.id, r.status]).sort(), [
      ['cal', 403],
      ['oof', 200],
    ]);
  });
});
