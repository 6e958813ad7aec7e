import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../../dev/azurite.ts';
import { readLog } from '../../shared/admin/admin-log-view.ts';
import { createServices, type Services, TABLES } from '../../shared/app/services.ts';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { Secret } from '../../shared/config/secret.ts';
import type { Appointment } from '../../shared/presence/model.ts';
import { clampDelay } from '../../shared/queues/storage-work-queues.ts';
import { createStorageClients } from '../../shared/storage/storage-clients.ts';
import type { UserRecord } from '../../shared/storage/stores.ts';
import { Table } from '../../shared/storage/table.ts';
import { TableAdminLog } from '../../shared/storage/table-admin-log.ts';
import { rotateClientStateKey } from '../../shared/storage/table-client-state-key.ts';
import { anAppointment, aPresenceBody, aPresenceRecord, aUserRecord } from '../support/builders.ts';
import { saveAppointments, saveOutOfOffice } from '../support/calendar-writes.ts';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const MINUTE = 60_000;

const user = (id: string, over: Partial<UserRecord> = {}): UserRecord =>
  aUserRecord(id, { updatedAt: T0, ...over });

const appointment = (i: number, over: Partial<Appointment> = {}): Appointment =>
  anAppointment({
    id: `AAMkAD/${i}+x==`,
    subject: `Meeting ${i} ${'é'.repeat(200)}`,
    start: T0 + i * 30 * MINUTE,
    end: T0 + (i + 1) * 30 * MINUTE,
    ...over,
  });

const subscription = (id: string, userId: string): CalendarSubscription => ({
  id,
  userId,
  source: 'graph',
  expiresAt: T0 + 3 * 24 * 60 * MINUTE,
  clientState: 'state-1',
  watermark: null,
});

describe('§2 state in Azure Table storage (Azurite)', () => {
  let stop: () => Promise<void>;
  let connectionString: string;
  let services: Services;

  before(async () => {
    const azurite = await startAzurite();
    stop = azurite.stop;
    connectionString = azurite.connectionString;
    services = createServices(loadSettings({ AzureWebJobsStorage: connectionString }));
  });
  after(() => stop());

  it('keeps the user directory and replaces it wholesale, past 100 users', async () => {
    await services.users.put(user('x/1'));
    const directory = Array.from({ length: 250 }, (_, i) => user(String(i)));
    await services.users.replaceAll(directory);
    const listed = await services.users.list();
    assert.equal(listed.length, 250);
    assert.equal(await services.users.get('x/1'), null);
    assert.deepEqual(await services.users.get('7'), user('7'));
    await services.users.replaceAll([user('7', { integrated: false, email: null, skipReason: 'no email' })]);
    assert.deepEqual(await services.users.list(), [
      user('7', { integrated: false, email: null, skipReason: 'no email' }),
    ]);
  });

  it('keeps the rest of the directory when the service refuses one user, and reports that user (issue 15.5)', async () => {
    await services.users.put(user('r2'));
    // A property holds at most 64 KiB: the service refuses this record alone, and with it its transaction.
    const refusedUser = user('r2', { name: 'x'.repeat(40_000) });
    const refused = await services.users.replaceAll([user('r1'), refusedUser, user('r3')]);
    assert.deepEqual(
      refused.map((r) => r.user),
      [refusedUser],
    );
    assert.match(refused[0]?.reason ?? '', /\(400\)/);
    // Not kept at all: the stored directory is the one the sync goes on with.
    assert.deepEqual(
      (await services.users.list()).map((u) => u.id),
      ['r1', 'r3'],
    );
  });

  it('stores 1,000 appointments with long subjects and reads them back in order', async () => {
    const appointments = Array.from({ length: 1000 }, (_, i) => appointment(i));
    const window = { start: T0, end: T0 + 7 * 24 * 60 * MINUTE };
    await saveAppointments(services.calendars, '201', window, appointments, { readAt: T0, because: 'scan' });
    const stored = await services.calendars.get('201');
    assert.deepEqual(stored?.appointments, appointments);
    assert.deepEqual(stored?.window, window);
    assert.equal(stored?.calendarReadBecause, 'scan');
    assert.deepEqual(stored?.outOfOffice, { status: 'disabled', internalReplyHtml: null });
  });

  it('replaces the appointments on a newer read and ignores an older one', async () => {
    const window = { start: T0, end: T0 + MINUTE * 600 };
    await saveAppointments(services.calendars, '202', window, [appointment(1)], {
      readAt: T0 + 10,
      because: 'scan',
    });
    await saveAppointments(services.calendars, '202', window, [appointment(2)], {
      readAt: T0 + 20,
      because: 'notification',
    });
    await saveAppointments(services.calendars, '202', window, [appointment(3)], {
      readAt: T0 + 15,
      because: 'late',
    });
    const stored = await services.calendars.get('202');
    assert.deepEqual(stored?.appointments, [appointment(2)]);
    assert.equal(stored?.calendarReadBecause, 'notification');
  });

  // Short lists live in the meta row, long ones in chunk rows; racing writers mix both.
  for (const { userId, newest, chunkGenerations } of [
    { userId: '204', newest: 'chunk rows', chunkGenerations: 1 },
    { userId: '205', newest: 'the meta row', chunkGenerations: 0 },
  ]) {
    it(`ends with the newest read when writers race, no chunks of other reads left (newest in ${newest})`, async () => {
      const window = { start: T0, end: T0 + MINUTE * 600 };
      const reads = [3, 7, 1, 9, 5, 2, 8, 4, 6, 0];
      const last = Math.max(...reads);
      const long = (n: number) => (n % 2 === 1) === (chunkGenerations === 1);
      const many = (n: number) =>
        Array.from({ length: long(n) ? 600 : 20 }, (_, i) => appointment(n * 1000 + i));
      await Promise.all(
        reads.map((n) =>
          saveAppointments(services.calendars, userId, window, many(n), {
            readAt: T0 + n,
            because: `read ${n}`,
          }),
        ),
      );
      const stored = await services.calendars.get(userId);
      assert.equal(stored?.calendarReadBecause, `read ${last}`);
      assert.deepEqual(stored?.appointments, many(last));
      const table = createStorageClients(
        loadSettings({ AzureWebJobsStorage: connectionString }).storage,
      ).table('calendars');
      const rows: string[] = [];
      for await (const row of table.listEntities({
        queryOptions: { filter: `PartitionKey eq '${userId}'` },
      })) {
        rows.push(row.rowKey ?? '');
      }
      const generations = new Set(rows.filter((k) => k.startsWith('appts-')).map((k) => k.split('-')[1]));
      assert.equal(generations.size, chunkGenerations);
    });
  }

  /** Saves lists of the given sizes one after another, each read back whole before the next. */
  async function saveAndReadBack(
    userId: string,
    sizes: readonly number[],
    appointmentAt: (read: number, k: number) => Appointment,
  ): Promise<void> {
    const window = { start: T0, end: T0 + MINUTE * 600 };
    for (const [i, size] of sizes.entries()) {
      const list = Array.from({ length: size }, (_, k) => appointmentAt(i, k));
      await saveAppointments(services.calendars, userId, window, list, {
        readAt: T0 + i,
        because: `read ${i}`,
      });
      assert.deepEqual(
        (await services.calendars.get(userId))?.appointments,
        list,
        `after ${size} appointments`,
      );
    }
  }

  it('moves appointments between the meta row and chunk rows as the list grows and shrinks', async () => {
    await saveAndReadBack('206', [20, 600, 5, 300, 0, 1], (i, k) => appointment(i * 1000 + k));
  });

  it('stores subjects holding U+2028 or U+2029, whether kept in the meta row or in chunk rows (issue 15.5)', async () => {
    // Azurite fails a transaction over such a value (500) that it takes in a single write.
    const odd = (i: number) => appointment(i, { subject: `Line\u2028Break ${i} Para\u2029Graph` });
    await saveAndReadBack('2028', [20, 600, 5, 300, 1], (i, k) =>
      k === 2 || k === 0 ? odd(i * 1000 + k) : appointment(i * 1000 + k),
    );
  });

  it('writes a transaction refused whole action by action, and returns the actions refused alone', async () => {
    const clients = createStorageClients(loadSettings({ AzureWebJobsStorage: connectionString }).storage);
    const table = new Table(clients.table('refusals'));
    await table.submitInBatches([['create', { partitionKey: 'p', rowKey: 'taken', n: 1 }]]);
    const refused = await table.writeInBatches([
      ['create', { partitionKey: 'p', rowKey: 'a', n: 2 }],
      ['create', { partitionKey: 'p', rowKey: 'taken', n: 3 }],
      ['upsert', { partitionKey: 'p', rowKey: 'b', n: 4 }, 'Replace'],
      ['delete', { partitionKey: 'p', rowKey: 'never-there' }],
    ]);
    assert.deepEqual(
      refused.map(({ action, error }) => [action[1].rowKey, error.code]),
      [['taken', 'storage.conflict']],
    );
    const rows = await table.query("PartitionKey eq 'p'");
    assert.deepEqual(
      rows.map((row) => [row.rowKey, row.n]),
      [
        ['a', 2],
        ['b', 4],
        ['taken', 1],
      ],
    );
    await assert.rejects(
      table.submitInBatches([
        ['create', { partitionKey: 'p', rowKey: 'c', n: 5 }],
        ['create', { partitionKey: 'p', rowKey: 'taken', n: 6 }],
      ]),
      { code: 'storage.conflict' },
    );
  });

  it('keeps out-of-office, time zone and the last error beside the appointments', async () => {
    const html = `<p>${'Away until Monday. '.repeat(6000)}</p>`;
    const window = { start: T0, end: T0 + MINUTE * 600 };
    await saveAppointments(services.calendars, '203', window, [appointment(1)], {
      readAt: T0,
      because: 'scan',
    });
    await services.calendars.saveError('203', 'Mailbox not found');
    assert.equal((await services.calendars.get('203'))?.lastError, 'Mailbox not found');
    await saveOutOfOffice(
      services.calendars,
      '203',
      { status: 'scheduled', start: T0, end: T0 + MINUTE, internalReplyHtml: html },
      'W. Europe Standard Time',
      T0 + 1,
    );
    const stored = await services.calendars.get('203');
    assert.deepEqual(stored?.outOfOffice, {
      status: 'scheduled',
      start: T0,
      end: T0 + MINUTE,
      internalReplyHtml: html,
    });
    assert.equal(stored?.timeZone, 'W. Europe Standard Time');
    assert.equal(stored?.lastError, null);
    assert.deepEqual(stored?.appointments, [appointment(1)]);
    await services.calendars.delete('203');
    assert.equal(await services.calendars.get('203'), null);
  });

  it("creates a joining user's first record unread, and reads it when one exists after all", async () => {
    const window = { start: T0, end: T0 + MINUTE * 600 };
    const oof = { outOfOffice: { status: 'enabled', internalReplyHtml: 'Away' }, timeZone: 'UTC' } as const;
    // Each write says the user just joined: nothing stored is expected.
    const firstRead = (readAt: number, n: number, extra: { outOfOffice?: typeof oof } = {}) =>
      services.calendars.saveRead('209', {
        readAt,
        because: 'scan',
        calendar: { window, appointments: [appointment(n)] },
        ...extra,
        firstRead: true,
      });
    assert.deepEqual(await firstRead(T0, 1, { outOfOffice: oof }), {
      taken: true,
      outOfOffice: oof,
      created: true,
    });
    // A hint that is wrong (the row exists) costs a read, never what is stored.
    assert.deepEqual(await firstRead(T0 + 10, 2), { taken: true, outOfOffice: oof, created: false });
    assert.deepEqual(await firstRead(T0 + 5, 3), { taken: false });
    const stored = await services.calendars.get('209');
    assert.deepEqual(stored?.appointments, [appointment(2)]);
    assert.deepEqual(stored?.outOfOffice, oof.outOfOffice);
  });

  it('saves presence only while the etag read is still current', async () => {
    assert.equal(await services.presence.save(aPresenceRecord('301')), true);
    assert.equal(await services.presence.save(aPresenceRecord('301')), false, 'a second create loses');
    const read = await services.presence.get('301');
    assert.ok(read?.etag);
    const body = aPresenceBody({
      availability: 'Meeting',
      until: '2026-11-24T15:00:00Z',
      note: 'Design review',
    });
    const next = {
      ...read,
      sequence: 1_764_000_000_001,
      lastPushed: body,
      lastPushedAt: T0,
      wakeAt: T0 + MINUTE,
    };
    assert.equal(await services.presence.save(next), true);
    assert.equal(await services.presence.save({ ...read, sequence: 2 }), false, 'a stale etag loses');
    const stored = await services.presence.get('301');
    assert.equal(stored?.sequence, 1_764_000_000_001);
    assert.deepEqual(stored?.lastPushed, body);
    assert.equal(stored?.wakeAt, T0 + MINUTE);
    assert.deepEqual(
      (await services.presence.list()).map((r) => r.userId),
      ['301'],
    );
  });

  it('finds a subscription by id and by user, and forgets the replaced one', async () => {
    await services.subscriptions.put(subscription('sub/1', '401'));
    assert.deepEqual(await services.subscriptions.getById('sub/1'), subscription('sub/1', '401'));
    await services.subscriptions.put(subscription('sub-2', '401'));
    assert.equal(await services.subscriptions.getById('sub/1'), null);
    assert.deepEqual(await services.subscriptions.getByUser('401'), subscription('sub-2', '401'));
    assert.deepEqual(await services.subscriptions.list(), [subscription('sub-2', '401')]);
    await services.subscriptions.delete(subscription('sub-2', '401'));
    assert.equal(await services.subscriptions.getByUser('401'), null);
    assert.equal(await services.subscriptions.getById('sub-2'), null);
  });

  it('writes the subscriptions of several users together, forgetting those they replace', async () => {
    await services.subscriptions.put(subscription('sub-old', '402'));
    await services.subscriptions.putAll([
      { subscription: subscription('sub-new', '402') },
      { subscription: subscription('sub-403', '403'), previous: null },
    ]);
    assert.equal(await services.subscriptions.getById('sub-old'), null);
    assert.deepEqual(await services.subscriptions.getByUser('402'), subscription('sub-new', '402'));
    assert.deepEqual(await services.subscriptions.getById('sub-403'), subscription('sub-403', '403'));
  });

  it('makes one clientState key for the deployment, whichever processes ask first', async () => {
    // Two processes (two service sets over the same storage) asking at once.
    const others = createServices(loadSettings({ AzureWebJobsStorage: connectionString }));
    const [signed, alsoSigned] = await Promise.all([
      services.clientStates.mint('201'),
      others.clientStates.mint('202'),
    ]);
    assert.deepEqual(await others.clientStates.check(signed), { kind: 'signed', userId: '201' });
    assert.deepEqual(await services.clientStates.check(alsoSigned), { kind: 'signed', userId: '202' });
    assert.deepEqual(await services.runtimeSettings.get(), {});
  });

  it('rotates the clientState key: states signed under the old key and the new one are both accepted', async () => {
    const before = await services.clientStates.mint('201');
    const storage = createStorageClients({
      kind: 'connectionString',
      connectionString: new Secret(connectionString),
    });
    const keys = new Table(storage.table(TABLES.runtimeSettings));
    assert.deepEqual(await rotateClientStateKey(keys, Date.now()), { rotated: true });
    // A second rotation would drop the first key while its states may be in use.
    assert.equal((await rotateClientStateKey(keys, Date.now())).rotated, false);
    // A process started after the rotation.
    const later = createServices(loadSettings({ AzureWebJobsStorage: connectionString }));
    const after = await later.clientStates.mint('202');
    assert.deepEqual(await later.clientStates.check(before), { kind: 'signed', userId: '201' });
    assert.deepEqual(await later.clientStates.check(after), { kind: 'signed', userId: '202' });
    assert.deepEqual(await services.runtimeSettings.get(), {});
  });

  it('merges runtime settings', async () => {
    await services.runtimeSettings.put({ INTEGRATION_ENABLED: false, SCAN_WINDOW_DAYS: 14 });
    await services.runtimeSettings.put({ TENTATIVE_AS: 'Available' });
    assert.deepEqual(await services.runtimeSettings.get(), {
      INTEGRATION_ENABLED: false,
      SCAN_WINDOW_DAYS: 14,
      TENTATIVE_AS: 'Available',
    });
  });

  it('answers readers at once from shared reads, none begun before its caller asked', async () => {
    const before = services.runtimeSettings.get();
    const put = services.runtimeSettings.put({ INTEGRATION_ENABLED: true });
    await put;
    const after = await Promise.all([services.runtimeSettings.get(), services.runtimeSettings.get()]);
    await before;
    assert.deepEqual(
      after.map((values) => values.INTEGRATION_ENABLED),
      [true, true],
    );
  });

  it('writes a burst of equal health reports once, keeping the first instant', async () => {
    const reports = Array.from({ length: 20 }, (_, i) =>
      services.health.report('exchange-graph', { ok: true }, T0 + i * 1000),
    );
    await Promise.all(reports);
    const stored = (await services.health.list()).find((report) => report.component === 'exchange-graph');
    assert.equal(stored?.at, T0);
  });

  it('§6 reads the log oldest first after a cursor', async () => {
    const lines = [
      'Starting Microsoft Graph',
      'Using Graph URL: https://graph.microsoft.com/v1.0',
      'Connected',
    ];
    for (const line of lines) await services.log.write(line);
    await services.log.write('Cannot read ann@contoso.com: mailbox not found', 'error');
    const first = await services.logReader.readAfter(null, 2);
    assert.deepEqual(
      first.map((e) => e.line),
      lines.slice(0, 2),
    );
    const rest = await services.logReader.readAfter(first[1]?.cursor ?? null, 10);
    assert.deepEqual(
      rest.map((e) => [e.line, e.level]),
      [
        ['Connected', 'info'],
        ['Cannot read ann@contoso.com: mailbox not found', 'error'],
      ],
    );
    assert.deepEqual(await services.logReader.readAfter(rest[1]?.cursor ?? null, 10), []);
  });

  it('§6 stores each line as one line, whatever foreign value it holds (issue 15.7)', async () => {
    const clients = createStorageClients(loadSettings({ AzureWebJobsStorage: connectionString }).storage);
    const log = new TableAdminLog(new Table(clients.table('foreignlog')));
    await log.writeMany([
      'Skipping user Ann\u2028Connected to Microsoft Graph (tenant evil) (201): no email address',
      'Could not read the time zone of ann@contoso.com\r\nConnected (not found): UTC',
      'Microsoft Graph lifecycle event missed for user 20\u2029\u202e1',
    ]);
    assert.deepEqual(
      (await log.readAfter(null, 10)).map((e) => e.line),
      [
        'Skipping user Ann\\u2028Connected to Microsoft Graph (tenant evil) (201): no email address',
        'Could not read the time zone of ann@contoso.com\\r\\nConnected (not found): UTC',
        'Microsoft Graph lifecycle event missed for user 20\\u2029\\u202e1',
      ],
    );
  });

  it('§6 shows a line stored before as one line too (issue 15.7)', async () => {
    const clients = createStorageClients(loadSettings({ AzureWebJobsStorage: connectionString }).storage);
    const table = new Table(clients.table('olderlog'));
    await table.run('seed', (client) =>
      client.createEntity({
        partitionKey: 'log',
        rowKey: `${String(T0).padStart(15, '0')}-000001-abcdef`,
        at: { value: T0, type: 'Double' },
        level: 'info',
        line: 'Skipping user Ann\nConnected to Microsoft Graph (tenant evil)',
      }),
    );
    const page = await readLog(new TableAdminLog(table), null);
    assert.ok(page.ok);
    assert.deepEqual(
      page.value.entries.map((e) => e.line),
      ['Skipping user Ann\\nConnected to Microsoft Graph (tenant evil)'],
    );
  });

  it('§6 keeps the log bounded by age and count', async () => {
    let now = T0;
    const clients = createStorageClients(loadSettings({ AzureWebJobsStorage: connectionString }).storage);
    const log = new TableAdminLog(new Table(clients.table('boundedlog')), {
      retentionMs: 10 * MINUTE,
      maxEntries: 3,
      sweepEveryMs: Number.POSITIVE_INFINITY,
      now: () => now,
    });
    for (let i = 0; i < 6; i++) {
      now = T0 + i * 4 * MINUTE;
      await log.write(`line ${i}`);
    }
    await log.sweep();
    assert.deepEqual(
      (await log.readAfter(null, 10)).map((e) => e.line),
      ['line 3', 'line 4', 'line 5'],
    );
    now += 9 * MINUTE;
    await log.sweep();
    assert.deepEqual(
      (await log.readAfter(null, 10)).map((e) => e.line),
      ['line 5'],
    );
  });

  it('§2 queues messages as base64 JSON, delayed at most 7 days', async () => {
    await services.queues.send('presence', { userId: '201', reason: 'scan', wakeAt: null });
    await services.queues.send(
      'presence',
      { userId: '202', reason: 'transition', wakeAt: T0 },
      30 * 24 * 3600,
    );
    const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient('presence');
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    assert.equal(peeked.peekedMessageItems.length, 1, 'the delayed message is not visible yet');
    const text = peeked.peekedMessageItems[0]?.messageText ?? '';
    assert.deepEqual(JSON.parse(Buffer.from(text, 'base64').toString('utf8')), {
      userId: '201',
      reason: 'scan',
      wakeAt: null,
    });
    assert.equal((await queue.getProperties()).approximateMessagesCount, 2);
    assert.deepEqual([clampDelay(-5), clampDelay(1.2), clampDelay(8 * 24 * 3600)], [0, 2, 604800]);
  });
});

describe('§2 identity-based storage (AzureWebJobsStorage__accountName)', () => {
  it('builds clients for the account endpoints without a key', () => {
    const settings = loadSettings({
      AzureWebJobsStorage__accountName: 'presencestore',
      AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
    });
    const clients = createStorageClients(settings.storage);
    assert.equal(clients.table('users').url, 'https://presencestore.table.core.windows.net');
    assert.equal(clients.table('users').tableName, 'users');
    assert.equal(clients.queueService.url, 'https://presencestore.queue.core.windows.net/');
  });
});
