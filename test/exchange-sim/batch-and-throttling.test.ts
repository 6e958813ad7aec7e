import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import type { SimUser } from '../../dev/exchange-sim/mailboxes.ts';
import { bearer, graphClient, startSim } from './fixtures.ts';

const WINDOW = 'startDateTime=2026-11-23T00:00:00Z&endDateTime=2026-11-30T00:00:00Z';

const BatchAnswer = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

function calendarRequests(users: readonly SimUser[]) {
  return users.map((u, i) => ({
    id: String(i + 1),
    method: 'GET',
    url: `/users/${u.id}/calendarView?${WINDOW}`,
  }));
}

describe('simulated Graph $batch, throttling and mailbox concurrency', () => {
  let sim: ExchangeSimulator;
  let client: Client;
  let users: SimUser[];

  before(async () => {
    sim = await startSim({ seed: 7 });
    client = graphClient(sim);
    users = Array.from({ length: 20 }, (_, i) => sim.mailboxes.addUser({ email: `u${i}@contoso.com` }));
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.setThrottleRatio(0);
    sim.setUnavailableRatio(0);
    sim.setLatency(0);
    sim.resetCounters();
  });

  it('answers 20 sub-requests in one round trip', async () => {
    const answer = BatchAnswer.parse(await client.api('/$batch').post({ requests: calendarRequests(users) }));
    assert.equal(answer.responses.length, 20);
    assert.ok(answer.responses.every((r) => r.status === 200));
    assert.equal(sim.requestCount('batch'), 1);
    assert.equal(sim.graphRequestCount(), 1);
    assert.equal(sim.requestCount('calendarView'), 0);
    assert.equal(sim.operationCount('calendarView'), 20);
  });

  it('throttles sub-requests on their own: a 429 with Retry-After inside a 200 batch', async () => {
    sim.setThrottleRatio(0.3);
    const answer = BatchAnswer.parse(await client.api('/$batch').post({ requests: calendarRequests(users) }));
    const throttled = answer.responses.filter((r) => r.status === 429);
    assert.ok(throttled.length > 0 && throttled.length < 20, `throttled ${throttled.length} of 20`);
    assert.equal(throttled.length, sim.throttledCount());
    for (const r of throttled) {
      assert.equal(r.headers?.['Retry-After'], '1');
      assert.partialDeepStrictEqual(r.body, { error: { code: 'TooManyRequests' } });
    }
  });

  it('refuses a batch of more than 20 requests', async () => {
    const requests = [...calendarRequests(users), { id: '21', method: 'GET', url: '/organization' }];
    const answer = await fetch(`${sim.graphBaseUrl}/v1.0/$batch`, {
      method: 'POST',
      headers: { authorization: await bearer(sim), 'content-type': 'application/json' },
      body: JSON.stringify({ requests }),
    });
    assert.equal(answer.status, 400);
  });

  it('allows 4 concurrent requests per mailbox and answers the 5th ApplicationThrottled', async () => {
    const one = users[0];
    assert.ok(one);
    const sameMailbox = Array.from({ length: 5 }, (_, i) => ({
      id: String(i + 1),
      method: 'GET',
      url: `/users/${one.userPrincipalName}/mailboxSettings`,
    }));
    const answer = BatchAnswer.parse(await client.api('/$batch').post({ requests: sameMailbox }));
    assert.deepEqual(answer.responses.map((r) => r.status).sort(), [200, 200, 200, 200, 429]);
    assert.partialDeepStrictEqual(answer.responses.find((r) => r.status === 429)?.body, {
      error: { code: 'ApplicationThrottled' },
    });

    sim.setLatency(150);
    const auth = await bearer(sim);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${sim.graphBaseUrl}/v1.0/users/${one.id}/calendarView?${WINDOW}`, {
          headers: { authorization: auth },
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    assert.deepEqual(statuses.sort(), [200, 200, 200, 200, 429, 429]);
  });

  it('adds the configured latency to every round trip', async () => {
    const answered: string[] = [];
    sim.setLatency(2000);
    const slow = client
      .api('/organization')
      .get()
      .then(() => answered.push('sent first, with latency'));
    // The simulator has the request (it counts it before waiting): later ones get no latency.
    while (sim.requestCount('organization') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    sim.setLatency(0);
    await client.api('/organization').get();
    answered.push('sent second, without');
    await slow;
    assert.deepEqual(answered, ['sent second, without', 'sent first, with latency']);
  });

  it('lets the SDK retry a throttled request until it passes', async () => {
    sim.setThrottleRatio(0.5);
    const org = await client.api('/organization').get();
    assert.ok(org.value.length === 1);
    assert.equal(sim.requestCount('organization'), sim.throttledCount() + 1);
  });

  it('answers the unavailable ratio 503 with Retry-After, also inside a batch', async () => {
    sim.setUnavailableRatio(0.3);
    const answer = BatchAnswer.parse(await client.api('/$batch').post({ requests: calendarRequests(users) }));
    const unavailable = answer.responses.filter((r) => r.status === 503);
    assert.ok(unavailable.length > 0 && unavailable.length < 20, `503 for ${unavailable.length} of 20`);
    assert.ok(unavailable.every((r) => r.headers?.['Retry-After'] === '1'));
  });
});
