import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flexScaleGroups } from '../../bench/flex-scale-groups.ts';
import { type RunningAzurite, startAzurite } from '../../dev/azurite.ts';
import {
  type ExchangeSimulator,
  startExchangeSimulator,
} from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { graphSettingsFor } from '../../dev/exchange-sim/graph/graph-app-settings.ts';
import { freePort } from '../../dev/free-port.ts';
import {
  type PhonelinkSimulator,
  type ReceivedPush,
  startPhonelinkSimulator,
} from '../../dev/phonelink-sim/phonelink-simulator.ts';
import { eventually, type HostProcess, spawnHostScript } from './support/live-pipeline.ts';
import { startRoundRobin } from './support/round-robin.ts';

/**
 * Flex Consumption scales each function group out as load rises: here three instances of every
 * group (bench/flex-scale-groups.ts) share one storage account and one simulated Exchange, and
 * the HTTP group sits behind one address that spreads requests over its instances. One
 * calendar-sync instance is killed during the scan; its messages come back after their lease
 * and the other two finish the scan.
 */
const USERS = 80;
const INSTANCES = 3;
const LEASE_MS = 5_000;
const MINUTE = 60_000;
const ROOT = join(import.meta.dirname, '../..');
const GROUP_HOST = join(import.meta.dirname, 'support/group-host-process.ts');
const TENANT = '3e5f7d1e-3a41-4b7e-9d2c-0a1b2c3d4e5f';
const CLIENT = { clientId: 'c4e6f8a2-1b3d-4f5a-8c7e-9d0f1a2b3c4d', clientSecret: 'drill-secret' };
const PHONELINK_KEY = 'drill-phonelink-key';

const users = Array.from({ length: USERS }, (_, i) => ({
  id: String(30_000 + i),
  name: `Drill ${i}`,
  email: `drill${i}@contoso.com`,
  calendarIntegration: true,
}));
/** Every other user is in a meeting the whole test long; the rest are free. */
const inMeeting = (i: number) => i % 2 === 0;

interface Instance {
  readonly group: string;
  readonly host: HostProcess;
}

describe('§2 three instances of every function group at once (Flex scale-out)', () => {
  let azurite: RunningAzurite;
  let exchange: ExchangeSimulator;
  let phonelink: PhonelinkSimulator;
  let front: { stop(): Promise<void> };
  let dir: string;
  const instances: Instance[] = [];
  let killedAt = 0;

  before(async () => {
    azurite = await startAzurite();
    exchange = await startExchangeSimulator({
      tenantId: TENANT,
      clients: [CLIENT],
      latencyMs: 40,
      notifications: { batchWindowMs: 5 },
    });
    const now = Date.now();
    for (const [i, user] of users.entries()) {
      exchange.mailboxes.addUser({ email: user.email, timeZone: 'UTC' });
      if (inMeeting(i)) {
        exchange.mailboxes.createEvent(user.email, {
          subject: `Standing ${i}`,
          start: now - 10 * MINUTE,
          end: now + 120 * MINUTE,
          showAs: 'busy',
        });
      }
    }
    phonelink = await startPhonelinkSimulator({ apiKey: PHONELINK_KEY, users, pageSize: 25 });
    dir = await mkdtemp(join(tmpdir(), 'drill-'));
    // Two messages per poll and instance, so the scan's jobs spread over the three instances.
    const hostJson = JSON.parse(await readFile(join(ROOT, 'host.json'), 'utf8'));
    hostJson.extensions.queues = { ...hostJson.extensions.queues, batchSize: 2, newBatchThreshold: 1 };
    await writeFile(join(dir, 'host.json'), JSON.stringify(hostJson));
    const port = await freePort();
    const env = {
      NODE_EXTRA_CA_CERTS: exchange.caPath,
      AzureWebJobsStorage: azurite.connectionString,
      CALENDAR_SOURCE: 'graph',
      CALLBACK_URL: `http://127.0.0.1:${port}`,
      ...graphSettingsFor(exchange, CLIENT),
      PHONELINK_URL: phonelink.url,
      PHONELINK_API_KEY: PHONELINK_KEY,
      PHONELINK_WEBHOOK_SECRET: 'drill-webhook-secret-0123456789abcdef',
      ADMIN_API_KEY: 'drill-admin-key-0123456789abcdefghijk',
      INTEGRATION_ENABLED: 'true',
      SCAN_SCHEDULE: '0 0 3 * * 1',
      SCAN_WINDOW_DAYS: '7',
      DRILL_HOST_JSON: join(dir, 'host.json'),
      DRILL_QUEUE_LEASE_MS: String(LEASE_MS),
    };
    const groups = flexScaleGroups(join(ROOT, 'functions'), ['calendar-sync-queue', 'presence-queue']);
    const http: string[] = [];
    front = await startRoundRobin(port, () => http);
    // The timers' group last, so the start-up scan finds the queue workers running.
    for (const group of groups) {
      const started = await Promise.all(
        Array.from({ length: INSTANCES }, () =>
          spawnHostScript(GROUP_HOST, {
            ...env,
            ...Object.fromEntries(
              group.functions.map((name, i) => [`AzureFunctionsJobHost__functions__${i}`, name]),
            ),
          }),
        ),
      );
      for (const host of started) {
        instances.push({ group: group.name, host });
        if (group.servesHttp) http.push(host.url);
      }
    }
  });

  after(async () => {
    await Promise.all(instances.map(({ host }) => host.stop()));
    await front?.stop();
    await phonelink?.stop();
    await exchange?.stop();
    await azurite?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('finishes the scan with two calendar-sync instances after the third is killed mid-scan', async () => {
    await eventually(
      'the first push',
      () => phonelink.pushes.length,
      (n) => n > 0,
      30_000,
    );
    const victim = instances.find((instance) => instance.group === 'calendar-sync-queue');
    assert.ok(victim);
    killedAt = Date.now();
    await victim.host.kill();
    assert.ok(pushedUsers() < USERS, 'the scan was still under way at the kill');
    await eventually(
      'every user pushed and subscribed',
      () => [pushedUsers(), subscribedUsers()],
      ([pushed, subscribed]) => pushed === USERS && subscribed === USERS,
      45_000,
    );
  });

  it('ends every user right', () => {
    const wrong = users.flatMap((user, i) => {
      const shown = phonelink.presenceOf(user.id);
      const expected = inMeeting(i) ? 'Meeting' : 'Available';
      return shown?.availability === expected
        ? []
        : [`${user.id}: ${shown?.availability ?? 'nothing'}, not ${expected}`];
    });
    assert.deepEqual(wrong, []);
  });

  it('shows changes notified to any webhook instance, each user right', async () => {
    const changed = users.filter((_, i) => !inMeeting(i)).slice(0, 10);
    const now = Date.now();
    for (const user of changed) {
      exchange.mailboxes.createEvent(user.email, {
        subject: 'Called in',
        start: now - MINUTE,
        end: now + 60 * MINUTE,
        showAs: 'oof',
      });
    }
    await eventually(
      'the changes shown',
      () => changed.filter((user) => phonelink.presenceOf(user.id)?.availability !== 'OutOfOffice').length,
      (left) => left === 0,
      20_000,
    );
  });

  it('never uses a sequence twice: no push is refused with 409', () => {
    assert.deepEqual(
      phonelink.requests.filter((request) => request.status === 409),
      [],
    );
  });

  it('pushes a body twice only when a message came back from the killed instance (at least once)', () => {
    const twice = pushedTwice(phonelink.pushes);
    const outsideTheKill = twice.filter(
      ([first, second]) => !(first.at <= killedAt && second.at >= killedAt),
    );
    assert.deepEqual(
      outsideTheKill.map(
        ([first, second]) =>
          `${first.userId} ${first.body.availability} at +${first.at - killedAt} and +${second.at - killedAt} ms`,
      ),
      [],
    );
  });

  function subscribedUsers(): number {
    return new Set(exchange.subscriptions().map((subscription) => subscription.userId)).size;
  }

  function pushedUsers(): number {
    return new Set(phonelink.pushes.map((push) => push.userId)).size;
  }
});

/** Consecutive accepted pushes of one user with the same body apart from the sequence. */
function pushedTwice(pushes: readonly ReceivedPush[]): [ReceivedPush, ReceivedPush][] {
  const last = new Map<string, ReceivedPush>();
  const twice: [ReceivedPush, ReceivedPush][] = [];
  for (const push of pushes) {
    const before = last.get(push.userId);
    if (before !== undefined && sameBody(before, push)) twice.push([before, push]);
    last.set(push.userId, push);
  }
  return twice;
}

function sameBody(a: ReceivedPush, b: ReceivedPush): boolean {
  const { sequence: _a, ...restA } = a.body;
  const { sequence: _b, ...restB } = b.body;
  return JSON.stringify(restA) === JSON.stringify(restB);
}
