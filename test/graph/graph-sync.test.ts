import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { type RunningAzurite, startAzurite } from '../../dev/azurite.ts';
import { DEFAULT_ROLES } from '../../dev/exchange-sim/graph/entra.ts';
import {
  type ExchangeSimulator,
  startExchangeSimulator,
} from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { graphSettingsFor } from '../../dev/exchange-sim/graph/graph-app-settings.ts';
import { trustLocalCa } from '../../dev/exchange-sim/trust.ts';
import {
  type PhonelinkSimulator,
  startPhonelinkSimulator,
} from '../../dev/phonelink-sim/phonelink-simulator.ts';
import { getHealth } from '../../shared/admin/admin-health.ts';
import { getStatus } from '../../shared/admin/admin-status.ts';
import { listUsers } from '../../shared/admin/admin-users.ts';
import { createServices, type Services, TABLES } from '../../shared/app/services.ts';
import { wireAdmin } from '../../shared/app/wire-admin.ts';
import { wireCalendarSync, wireMaintenance, wireScan } from '../../shared/app/wire-sync.ts';
import type { CalendarSource } from '../../shared/calendar/calendar-source.ts';
import { ClientStates } from '../../shared/calendar/client-states.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { Secret } from '../../shared/config/secret.ts';
import { AppError } from '../../shared/errors.ts';
import { toIsoSeconds } from '../../shared/presence/instant.ts';
import {
  calendarSyncMessage,
  presenceGroupMessage,
  type QUEUES,
  scanMessage,
  type WorkQueues,
} from '../../shared/queues/messages.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { createStorageClients, type StorageClients } from '../../shared/storage/storage-clients.ts';
import { Table } from '../../shared/storage/table.ts';
import { tableClientStateKey } from '../../shared/storage/table-client-state-key.ts';
import { runCalendarSync } from '../../shared/sync/calendar-sync.ts';
import { runMaintenance } from '../../shared/sync/maintenance.ts';
import { runScan } from '../../shared/sync/scan.ts';

const TENANT = '9a8b7c6d-1111-4222-8333-444455556666';
const CLIENT = { clientId: 'c0ffee00-1111-4222-8333-444455556666', clientSecret: 'sync-test-secret' };
const HOUR = 3_600_000;

/** Real Storage queues; what the use cases send is kept so the test can hand it to the next use case. */
class RememberingQueues implements WorkQueues {
  readonly sent: { queue: string; message: unknown }[] = [];
  readonly delays: number[] = [];
  readonly #inner: WorkQueues;
  constructor(inner: WorkQueues) {
    this.#inner = inner;
  }
  async send(queue: (typeof QUEUES)[keyof typeof QUEUES], message: unknown, delaySeconds = 0): Promise<void> {
    await this.#inner.send(queue, message, delaySeconds);
    this.sent.push({ queue, message });
    this.delays.push(delaySeconds);
  }
  take(queue: string): unknown[] {
    const taken = this.sent.filter((s) => s.queue === queue).map((s) => s.message);
    this.sent.splice(0, this.sent.length, ...this.sent.filter((s) => s.queue !== queue));
    return taken;
  }
}

/** Graph's handshake only: the use cases here are called directly, the webhook has its own tests. */
async function startCallback(): Promise<Server> {
  const server = createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://callback').searchParams.get('validationToken');
    req.resume();
    res.writeHead(token === null ? 202 : 200, { 'content-type': 'text/plain' });
    res.end(token ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('§2 Graph scan, calendar sync and maintenance (use cases over Azurite and the simulators)', () => {
  let azurite: RunningAzurite;
  let exchange: ExchangeSimulator;
  let phonelink: PhonelinkSimulator;
  let callback: Server;
  let services: Services;
  let queues: RememberingQueues;
  let now = Date.now();
  const clock = () => now;
  let storageClients: () => StorageClients;

  /** Runs the scan and every calendar-sync job it fans out. */
  async function scanAndSync(reason: 'startup' | 'force' = 'startup'): Promise<void> {
    await runScan(wireScan(services), scanMessage.parse({ reason }));
    await drainCalendarSync();
  }

  async function drainCalendarSync(): Promise<void> {
    for (const message of queues.take('calendar-sync')) {
      await runCalendarSync(wireCalendarSync(services), message);
    }
  }

  async function logLines(): Promise<string[]> {
    return (await services.logReader.readAfter(null, 10_000)).map((entry) => entry.line);
  }

  before(async () => {
    azurite = await startAzurite();
    exchange = await startExchangeSimulator({ tenantId: TENANT, clients: [CLIENT] });
    trustLocalCa(exchange.caPem);
    // As in most tenants: UPNs in the initial domain; Ann's PHONE-LiNK address is an alias, Bob's his mail.
    exchange.mailboxes.addUser({
      email: 'ann.smith@contoso.com',
      aliases: ['ann@contoso.com'],
      timeZone: 'W. Europe Standard Time',
    });
    exchange.mailboxes.addUser({ email: 'bob@contoso.com' });
    exchange.mailboxes.createEvent('ann@contoso.com', {
      subject: 'Design review',
      start: now + HOUR,
      end: now + 2 * HOUR,
    });
    phonelink = await startPhonelinkSimulator({
      apiKey: 'sync-test-key',
      users: [
        { id: '201', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true },
        { id: '202', name: 'Bob Jones', email: 'bob@contoso.com', calendarIntegration: true },
        { id: '203', name: 'Cy Nomail', email: 'cy@contoso.com', calendarIntegration: true },
      ],
    });
    callback = await startCallback();
    const settings = loadSettings({
      AzureWebJobsStorage: azurite.connectionString,
      CALENDAR_SOURCE: 'graph',
      CALLBACK_URL: `http://127.0.0.1:${(callback.address() as AddressInfo).port}`,
      ...graphSettingsFor(exchange, CLIENT),
      PHONELINK_URL: phonelink.url,
      PHONELINK_API_KEY: 'sync-test-key',
    });
    storageClients = () =>
      createStorageClients({
        kind: 'connectionString',
        connectionString: new Secret(azurite.connectionString),
      });
    const plain = createServices(settings);
    queues = new RememberingQueues(plain.queues);
    services = createServices(settings, { queues, clock: { now: clock, sleep: systemClock.sleep } });
  });

  after(async () => {
    await new Promise((resolve) => callback?.close(resolve));
    await phonelink?.stop();
    await exchange?.stop();
    await azurite?.stop();
  });

  /** A new token (an issued one keeps its roles): services built afresh, as after a restart. */
  function servicesWithRoles(roles: readonly string[]): Services {
    exchange.setRoles(CLIENT.clientId, roles);
    return createServices(services.settings, { queues, clock: services.clock });
  }

  it('§14.7 names in the health view each application permission the token lacks, with how to grant it', async () => {
    const permissionsOf = async (roles: readonly string[]) =>
      (await getHealth(wireAdmin(servicesWithRoles(roles)))).warnings.filter((w) => w.area === 'permissions');
    const none = await permissionsOf([]);
    assert.deepEqual(
      none.map((w) => /permission (\S+) is not granted/.exec(w.text)?.[1]),
      ['Calendars.Read', 'MailboxSettings.Read', 'User.Read.All'],
    );
    assert.ok(none.every((w) => w.severity === 'error' && w.text.includes('Grant admin consent')));
    assert.deepEqual(
      (await permissionsOf(['Calendars.ReadWrite', 'Directory.Read.All'])).map((w) => w.text.split(' ')[3]),
      ['MailboxSettings.Read'],
    );
    assert.deepEqual(await permissionsOf(DEFAULT_ROLES), []);
  });

  it('writes the §6 lines: connection, then subscribing and out-of-office per user', async () => {
    await scanAndSync();
    const lines = await logLines();
    const expected = [
      'Starting Microsoft Graph',
      `Using Graph URL: ${exchange.graphBaseUrl.replace(/\/$/, '')}/v1.0`,
      `Connected to Microsoft Graph (tenant ${TENANT})`,
      'Skipping user cy@contoso.com: no user in the directory has the address cy@contoso.com',
      'Subscribing to availability of user: ann@contoso.com',
      'Getting out-of-office settings for: 2 users',
      'Getting out-of-office settings for: ann@contoso.com',
    ];
    let from = 0;
    for (const line of expected) {
      const index = lines.indexOf(line, from);
      assert.ok(index >= 0, `missing or out of order: "${line}" in\n${lines.join('\n')}`);
      from = index + 1;
    }
  });

  it('stores the window, the out-of-office setting and a subscription per user, and pushes their presence', async () => {
    const stored = await services.calendars.get('201');
    assert.deepEqual(
      stored?.appointments.map((a) => a.subject),
      ['Design review'],
    );
    assert.equal(stored?.timeZone, 'W. Europe Standard Time');
    const subscription = await services.subscriptions.getByUser('201');
    assert.ok(subscription?.clientState && subscription.clientState.length >= 20);
    assert.notEqual(subscription.clientState, (await services.subscriptions.getByUser('202'))?.clientState);
    assert.ok((subscription.expiresAt ?? 0) - Date.now() <= 10_080 * 60_000);
    assert.ok(
      exchange
        .subscriptions()
        .some(
          (s) =>
            s.id === subscription.id &&
            s.lifecycleNotificationUrl?.endsWith('/api/notifications/graph/lifecycle'),
        ),
    );
    // The job recalculated from what it had just read: nothing left for the presence worker but wake-ups.
    assert.deepEqual([...new Set(phonelink.pushes.map((p) => p.userId))].sort(), ['201', '202']);
    assert.deepEqual(
      queues.take('presence').filter((m) => presenceGroupMessage.safeParse(m).success),
      [],
    );
  });

  it('§14 resolves an alias and a mail address that is not the UPN to the user id, keeps it, and addresses Graph by it', async () => {
    const ann = exchange.mailboxes.user('ann@contoso.com');
    const bob = exchange.mailboxes.user('bob@contoso.com');
    assert.notEqual(bob.userPrincipalName, 'bob@contoso.com');
    assert.partialDeepStrictEqual(await services.users.get('201'), {
      directoryUser: { id: ann.id, email: 'ann@contoso.com' },
    });
    assert.partialDeepStrictEqual(await services.users.get('202'), {
      directoryUser: { id: bob.id, email: 'bob@contoso.com' },
    });
    assert.deepEqual(
      exchange
        .subscriptions()
        .map((s) => s.resource)
        .sort(),
      [`users/${ann.id}/events`, `users/${bob.id}/events`].sort(),
    );
    // Known ids are not looked up again; only the address that resolved to nobody is.
    exchange.resetCounters();
    await scanAndSync('force');
    assert.equal(exchange.operationCount('users'), 1);
    assert.equal((await services.calendars.get('201'))?.lastError, null);
    assert.match(
      (await services.calendars.get('203'))?.lastError ?? '',
      /no user in the directory has the address cy@/,
    );
  });

  it('hands each job the subscriptions the scan listed, and the job renews them without reading each', async () => {
    const listed = await services.subscriptions.getByUser('201');
    await runScan(wireScan(services), scanMessage.parse({ reason: 'force' }));
    const jobs = queues.take('calendar-sync').map((m) => calendarSyncMessage.parse(m));
    assert.deepEqual(
      jobs.flatMap((job) => job.subscriptions ?? []).find((s) => s.userId === '201'),
      listed,
    );
    for (const job of jobs) await runCalendarSync(wireCalendarSync(services), job);
    const renewed = await services.subscriptions.getByUser('201');
    assert.equal(renewed?.id, listed?.id);
    assert.equal(exchange.subscriptions().filter((s) => s.id === listed?.id).length, 1);
  });

  it('creates a subscription anew, with a fresh clientState, when its state would expire before the renewal ends', async () => {
    const ann = await services.subscriptions.getByUser('201');
    const bob = await services.subscriptions.getByUser('202');
    assert.ok(ann && bob);
    // Ann's state is of the random kind made before states expired; Bob's was signed three days ago.
    const keys = tableClientStateKey(new Table(storageClients().table(TABLES.runtimeSettings)));
    const threeDaysOld = await new ClientStates(keys, () => Date.now() - 3 * 24 * HOUR).mint('202');
    await services.subscriptions.put({ ...ann, clientState: 'c2VjcmV0LWFubi1jbGllbnQtc3RhdGU' });
    await services.subscriptions.put({ ...bob, clientState: threeDaysOld });
    await scanAndSync('force');
    for (const [userId, old] of [
      ['201', ann],
      ['202', bob],
    ] as const) {
      const now = await services.subscriptions.getByUser(userId);
      assert.ok(now !== null && now.id !== old.id, `user ${userId} got a new subscription`);
      assert.deepEqual(await services.clientStates.check(now.clientState ?? ''), { kind: 'signed', userId });
      // The one it replaces is deleted at Graph, not left to notify twice until it expires.
      assert.deepEqual(
        exchange.subscriptions().filter((s) => s.id === old.id),
        [],
      );
      assert.equal(exchange.subscriptions().find((s) => s.id === now.id)?.clientState, now.clientState);
    }
  });

  it('hands users to the presence worker when recalculating them in the job fails', async () => {
    await runCalendarSync(
      {
        ...wireCalendarSync(services),
        now: () => now + 1,
        recalculate: () => Promise.reject(new Error('PHONE-LiNK client bug')),
      },
      { userIds: ['201', '202'], reason: 'resync' },
    );
    const handedOn = queues.take('presence').map((m) => presenceGroupMessage.parse(m));
    assert.deepEqual(handedOn.flatMap((m) => m.userIds).sort(), ['201', '202']);
    // A failed recalculation may have reserved its push: the presence worker makes it again.
    assert.ok(handedOn.every((m) => m.unconfirmedSince !== undefined && m.unconfirmedSince <= now + 1));
  });

  it('hands a user to the presence worker when a newer read is already stored', async () => {
    let recalculated = 0;
    await runCalendarSync(
      {
        ...wireCalendarSync(services),
        // A job that ran late: its read is older than the one stored.
        now: () => now - HOUR,
        recalculate: async () => void recalculated++,
      },
      { userIds: ['201'], reason: 'resync' },
    );
    assert.equal(recalculated, 0);
    assert.deepEqual(
      queues.take('presence').flatMap((m) => presenceGroupMessage.parse(m).userIds),
      ['201'],
    );
  });

  it('recalculates presence after a change notice in the job, and shows administrators when the notice arrived', async () => {
    exchange.mailboxes.createEvent('ann@contoso.com', {
      subject: 'Budget',
      start: now + 3 * HOUR,
      end: now + 4 * HOUR,
    });
    // As the webhook queues it: the notice arrived after every read so far.
    const notifiedAt = now + 2;
    await runCalendarSync(
      { ...wireCalendarSync(services), now: () => notifiedAt },
      { userIds: ['201'], reason: 'notification', notifiedAt },
    );
    assert.deepEqual(
      queues.take('presence').filter((m) => presenceGroupMessage.safeParse(m).success),
      [],
    );
    assert.equal((await services.presence.get('201'))?.lastNotificationAt, notifiedAt);
    const { users } = await listUsers(wireAdmin(services));
    assert.equal(users.find((u) => u.id === '201')?.lastNotificationAt, toIsoSeconds(notifiedAt));
    const push = phonelink.pushes.findLast((p) => p.userId === '201');
    assert.equal(push?.body.until, toIsoSeconds(now + HOUR));
  });

  it('pushes its users again when the job is delivered again (its first run may have stopped before pushing)', async () => {
    const pushesOf201 = () => phonelink.pushes.filter((p) => p.userId === '201');
    const before = pushesOf201();
    const deps = { ...wireCalendarSync(services), now: () => now + 3 };
    // Delivered again, but the last push was reserved before the message was queued: it was made.
    await runCalendarSync(deps, { userIds: ['201'], reason: 'resync' }, Date.now() + HOUR);
    assert.equal(pushesOf201().length, before.length);
    // Reserved since the message was queued: perhaps by the run that stopped.
    await runCalendarSync(deps, { userIds: ['201'], reason: 'resync' }, now - HOUR);
    const after = pushesOf201();
    assert.equal(after.length, before.length + 1);
    const { sequence, ...body } = after.at(-1)?.body ?? assert.fail('no push');
    const { sequence: previous, ...previousBody } = before.at(-1)?.body ?? assert.fail('no push');
    assert.deepEqual(body, previousBody);
    assert.ok(sequence > previous);
  });

  it('reads again later only the users Exchange throttled, honouring Retry-After, and gives up after five tries', async () => {
    const source = services.calendarSource;
    const throttled: CalendarSource = {
      kind: source.kind,
      connect: (log) => source.connect(log),
      readOutOfOffice: (mailboxes) => source.readOutOfOffice(mailboxes),
      subscribe: (requests) => source.subscribe(requests),
      unsubscribe: (subscription) => source.unsubscribe(subscription),
      async readCalendars(mailboxes, window) {
        const read = new Map(await source.readCalendars(mailboxes, window));
        const error = new AppError('exchange.throttled', 'Microsoft Graph is throttling', {
          retryAfterSeconds: 30,
        });
        read.set('202', { ok: false, error });
        return read;
      },
    };
    const deps = {
      ...wireCalendarSync(services),
      calendarSource: throttled,
      now: () => now + 4,
    };
    await runCalendarSync(deps, { userIds: ['201', '202'], reason: 'resync' });
    const [again, ...more] = queues.take('calendar-sync').map((m) => calendarSyncMessage.parse(m));
    assert.equal(more.length, 0);
    assert.deepEqual(again?.userIds, ['202']);
    assert.equal(again?.attempt, 1);
    assert.equal(queues.delays.at(-1), 30);
    await runCalendarSync(deps, { userIds: ['202'], reason: 'resync', attempt: 4 });
    assert.deepEqual(queues.take('calendar-sync'), []);
    assert.ok((await logLines()).some((l) => l.startsWith('Gave up reading 1 mailbox(es) after 5 tries')));
  });

  describe('§14.7 permissions the tenant forgot', () => {
    after(() => exchange.setRoles(CLIENT.clientId, DEFAULT_ROLES));

    it('does not name a permission that working reads prove granted per mailbox (RBAC for Applications)', async () => {
      const health = await getHealth(wireAdmin(servicesWithRoles(['User.Read.All'])));
      assert.deepEqual(
        health.warnings.filter((w) => w.area === 'permissions'),
        [],
      );
    });

    it('reports a Graph 403 as a missing permission for that mailbox, not as an outage', async () => {
      const refused = servicesWithRoles(['Calendars.Read', 'User.Read.All']);
      await runCalendarSync(
        { ...wireCalendarSync(refused), now: () => now + 5 },
        { userIds: ['202'], reason: 'resync' },
      );
      assert.match(
        (await refused.calendars.get('202'))?.lastError ?? '',
        /HTTP 403 ErrorAccessDenied for the out-of-office settings of bob@contoso\.com: a permission is missing for this mailbox \(MailboxSettings\.Read/,
      );
      const exchangeReport = (await refused.health.list()).find((r) => r.component === 'exchange');
      assert.equal(exchangeReport?.ok, true);
      const health = await getHealth(wireAdmin(refused));
      assert.deepEqual(
        health.warnings.filter((w) => w.area === 'exchange'),
        [],
      );
    });
  });

  it('keeps what was known of a mailbox it cannot read, with a readable error', async () => {
    const before = await services.calendars.get('201');
    exchange.mailboxes.removeUser('ann@contoso.com');
    await scanAndSync('force');
    const after = await services.calendars.get('201');
    assert.deepEqual(after?.appointments, before?.appointments);
    assert.match(after?.lastError ?? '', /calendar of ann@contoso\.com: Microsoft Graph answered HTTP 404/);
    assert.ok(
      (await logLines()).some((line) => line.startsWith('Could not read the calendar of ann@contoso.com')),
    );
    // Cy has no mailbox at all: an error for Cy, nothing stored as if Cy were free.
    assert.equal((await services.calendars.get('203'))?.appointments.length ?? 0, 0);
  });

  it('re-reads a calendar on the hourly refresh only once it is 20 hours old', async () => {
    exchange.resetCounters();
    await runMaintenance(wireMaintenance(services));
    const refresh = queues.sent.filter((s) => s.queue === 'calendar-sync');
    assert.ok(refresh.every((s) => (s.message as { reason: string }).reason === 'refresh-oof'));
    const readAt = (await services.calendars.get('202'))?.calendarReadAt;
    await drainCalendarSync();
    assert.equal((await services.calendars.get('202'))?.calendarReadAt, readAt, 'not re-read after an hour');
    assert.ok(exchange.operationCount('mailboxSettings') >= 1);
    now += 21 * HOUR;
    await runMaintenance(wireMaintenance(services));
    await drainCalendarSync();
    assert.equal((await services.calendars.get('202'))?.calendarReadAt, now, 're-read after 21 hours');
  });

  it('unsubscribes a user who left the integration and forgets their calendar', async () => {
    const subscription = await services.subscriptions.getByUser('202');
    assert.ok(subscription);
    phonelink.setUsers([
      { id: '201', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true },
      { id: '202', name: 'Bob Jones', email: 'bob@contoso.com', calendarIntegration: false },
    ]);
    await scanAndSync('force');
    assert.equal(await services.subscriptions.getByUser('202'), null);
    assert.equal(await services.calendars.get('202'), null);
    assert.ok(!exchange.subscriptions().some((s) => s.id === subscription.id));
  });

  for (const status of [401, 403] as const) {
    it(`§4 turns the status offline with a log line when PHONE-LiNK refuses the directory read (${status})`, async () => {
      const offlineLines = async () =>
        (await logLines()).filter((line) => line.startsWith('PHONE-LiNK integration offline')).length;
      const before = await offlineLines();
      phonelink.setFault({ status });
      await assert.rejects(runScan(wireScan(services), scanMessage.parse({ reason: 'force' })), {
        code: 'phonelink.unauthorized',
      });
      phonelink.setFault(null);
      const offline = await getStatus(wireAdmin(services));
      assert.equal(offline.status, 'offline');
      assert.match(offline.cause ?? '', /^PHONE-LiNK: /);
      assert.equal(await offlineLines(), before + 1);
      await scanAndSync('force');
      assert.equal((await getStatus(wireAdmin(services))).status, 'online');
    });
  }
});
