import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type PhonelinkSimulator,
  startPhonelinkSimulator,
} from '../../dev/phonelink-sim/phonelink-simulator.ts';
import { Secret } from '../../shared/config/secret.ts';
import { AppError } from '../../shared/errors.ts';
import { createPhonelinkClient } from '../../shared/phonelink/phonelink-client.ts';
import { aPresenceBody } from '../support/builders.ts';

const API_KEY = 'sim-api-key';

const meeting = aPresenceBody({
  availability: 'Meeting',
  until: '2026-11-24T15:00:00Z',
  note: 'Design review',
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected AppError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('§4 PHONE-LiNK client against the simulator', () => {
  let sim: PhonelinkSimulator;
  const users = Array.from({ length: 7 }, (_, i) => ({
    id: String(201 + i),
    name: `User ${i}`,
    email: i === 3 ? null : `user${i}@contoso.com`,
    calendarIntegration: i !== 5,
  }));
  const client = () => createPhonelinkClient({ baseUrl: new URL(sim.url), apiKey: new Secret(API_KEY) });

  before(async () => {
    sim = await startPhonelinkSimulator({ apiKey: API_KEY, users, pageSize: 3 });
  });
  after(() => sim.stop());

  it('lists every user across nextLink pages', async () => {
    const listed = (await client().listUsers()).users;
    assert.deepEqual(
      listed.map((u) => u.id),
      users.map((u) => u.id),
    );
    assert.equal(listed[3]?.email, null);
    assert.equal(listed[5]?.calendarIntegration, false);
  });

  it('pushes with the bearer key and answers accepted, then superseded for a sequence not above the last', async () => {
    assert.deepEqual(await client().putPresence('201', meeting, 10), { kind: 'accepted' });
    assert.deepEqual(await client().putPresence('201', meeting, 10), { kind: 'superseded' });
    assert.deepEqual(await client().putPresence('201', meeting, 9), { kind: 'superseded' });
    assert.equal(sim.presenceOf('201')?.sequence, 10);
  });

  it('answers gone for a user PHONE-LiNK no longer has', async () => {
    assert.deepEqual(await client().putPresence('999', meeting, 1), { kind: 'gone' });
  });

  it('throws unauthorized for a wrong key, and never puts the key in the message', async () => {
    const wrong = createPhonelinkClient({ baseUrl: new URL(sim.url), apiKey: new Secret('wrong-key') });
    const error = await rejectsWith(wrong.putPresence('201', meeting, 11), 'phonelink.unauthorized');
    assert.ok(!error.message.includes('wrong-key'));
    await rejectsWith(wrong.listUsers(), 'phonelink.unauthorized');
  });

  it('throws unreachable with Retry-After for 429, and for 5xx', async () => {
    sim.setFault({ status: 429, retryAfter: '7' }, 1);
    const throttled = await rejectsWith(client().putPresence('201', meeting, 12), 'phonelink.unreachable');
    assert.equal(throttled.retryAfterSeconds, 7);
    sim.setFault({ status: 500 }, 1);
    await rejectsWith(client().listUsers(), 'phonelink.unreachable');
  });

  it('throws unreachable while the server is down', async () => {
    sim.setDown(500);
    await rejectsWith(client().putPresence('201', meeting, 13), 'phonelink.unreachable');
    sim.setDown(0);
    assert.deepEqual(await client().putPresence('201', meeting, 13), { kind: 'accepted' });
  });
});

describe('§4 PHONE-LiNK client: answers it does not trust', () => {
  const answers: { status: number; body: string }[] = [];
  let url = '';
  const server = createServer((_req, res) => {
    const answer = answers.shift() ?? { status: 500, body: '' };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = () => createPhonelinkClient({ baseUrl: new URL(url), apiKey: new Secret(API_KEY) });

  const cases = [
    { name: 'not JSON', body: '<html>' },
    { name: 'users missing', body: '{"nextLink":null}' },
    {
      name: 'nextLink to another server',
      body: '{"users":[],"nextLink":"http://evil.example/api/v1/users"}',
    },
  ];
  for (const c of cases) {
    it(`rejects a user page that is ${c.name} as a protocol error`, async () => {
      answers.push({ status: 200, body: c.body });
      await rejectsWith(client().listUsers(), 'phonelink.protocol');
    });
  }

  it('skips an entry it cannot read (no id), naming it, and lists the others', async () => {
    answers.push({
      status: 200,
      body: '{"users":[{"name":"x"},{"id":"201","name":"Ann","email":"ann@contoso.com","calendarIntegration":true}],"nextLink":null}',
    });
    const listed = await client().listUsers();
    assert.deepEqual(
      listed.users.map((u) => u.id),
      ['201'],
    );
    assert.equal(listed.unreadable.length, 1);
    assert.match(listed.unreadable[0] ?? '', /malformed \(id: /);
  });

  it('rejects a page that links to itself', async () => {
    answers.push({ status: 200, body: `{"users":[],"nextLink":"${url}/api/v1/users"}` });
    await rejectsWith(client().listUsers(), 'phonelink.protocol');
  });
});
