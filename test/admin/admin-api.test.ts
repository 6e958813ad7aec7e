import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { TableServiceClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import { transportWarnings } from '../../shared/admin/admin-health.ts';
import { wireRecalculation } from '../../shared/app/wire-presence.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { recalculatePresence } from '../../shared/presence-sync/recalculate-presence.ts';
import { presenceMessage } from '../../shared/queues/messages.ts';
import type { UserRecord } from '../../shared/storage/stores.ts';
import { createRedactor, REDACTED } from '../../shared/telemetry/redaction.ts';
import { storeReadCalendar } from '../pipeline/support/stored-calendar.ts';
import { anAppointment, aPresenceBody, aPresenceRecord, aUserRecord } from '../support/builders.ts';
import { saveAppointments, saveOutOfOffice } from '../support/calendar-writes.ts';
import { type AdminWorld, SECRETS, startAdminWorld } from './admin-world.ts';

const HOUR = 3_600_000;

const ROUTES: readonly [string, string][] = [
  ['GET', 'status'],
  ['GET', 'settings'],
  ['PUT', 'settings'],
  ['POST', 'scan'],
  ['GET', 'log'],
  ['GET', 'users'],
  ['GET', 'users/201/appointments'],
  ['GET', 'health'],
];

const aUser = (fields: Partial<UserRecord> = {}): UserRecord =>
  aUserRecord('201', { name: 'Ann Smith', email: 'ann@contoso.com', updatedAt: Date.now(), ...fields });

/** The setting names a 400 answer's problems name. */
const problemNames = (answer: { json: unknown }): string[] => {
  const problems = record(answer.json).problems;
  assert.ok(Array.isArray(problems), 'a list of problems');
  return problems.map((p: unknown) => String(record(p).name));
};

const record = (value: unknown): Record<string, unknown> => {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'a JSON object');
  return Object.fromEntries(Object.entries(value));
};

describe('§5 admin API', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(async () => {
    await world.stop();
  });

  describe('§5 admin key', () => {
    for (const [method, path] of ROUTES) {
      it(`answers 401 to ${method} /api/${path} without the key, with a wrong key, or with another scheme`, async () => {
        const body = method === 'PUT' ? '{}' : undefined;
        const cases = [null, 'wrong-key', `${SECRETS.ADMIN_API_KEY}x`, ''];
        for (const key of cases) {
          const answer = await world.call(method, path, { key, ...(body === undefined ? {} : { body }) });
          assert.equal(answer.status, 401, `${method} ${path} with ${key}`);
        }
        const basic = await fetch(`${world.url}/api/${path}`, {
          method,
          headers: { authorization: `Basic ${SECRETS.ADMIN_API_KEY}` },
          ...(body === undefined ? {} : { body }),
        });
        assert.equal(basic.status, 401);
      });
    }

    it('serves the admin page without the key, holding no data', async () => {
      const answer = await world.call('GET', 'admin', { key: null });
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('content-type') ?? '', /text\/html/);
      assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.doesNotMatch(answer.text, /ann@contoso\.com|Ann Smith/);
    });
  });

  describe('§5 status', () => {
    it('is online when configured and nothing failed, disabled when not activated', async () => {
      const online = record((await world.call('GET', 'status')).json);
      assert.equal(online.status, 'online');
      assert.equal(online.cause, null);

      const put = await world.call('PUT', 'settings', { body: '{"INTEGRATION_ENABLED": false}' });
      assert.equal(put.status, 200);
      assert.equal(record(put.json).INTEGRATION_ENABLED, false);
      const disabled = record((await world.call('GET', 'status')).json);
      assert.equal(disabled.status, 'disabled');
      assert.match(String(disabled.cause), /not activated/);
      assert.equal((await world.call('POST', 'scan')).status, 409);

      await world.call('PUT', 'settings', { body: '{"INTEGRATION_ENABLED": true}' });
      assert.equal(record((await world.call('GET', 'status')).json).status, 'online');
    });

    it('is offline with the cause when PHONE-LiNK refused our key', async () => {
      await world.services.health.report(
        'phonelink',
        { ok: false, cause: 'credentials refused (401)' },
        Date.now(),
      );
      const offline = record((await world.call('GET', 'status')).json);
      assert.equal(offline.status, 'offline');
      assert.match(String(offline.cause), /PHONE-LiNK: credentials refused/);
      await world.services.health.report('phonelink', { ok: true }, Date.now());
      assert.equal(record((await world.call('GET', 'status')).json).status, 'online');
    });
  });

  describe('§7 Activate (INTEGRATION_ENABLED), as the presence worker reads it', () => {
    it('pushes nothing once Activate is unticked through the admin API', async () => {
      const readAt = Date.now();
      const window = { start: readAt - HOUR, end: readAt + 7 * 24 * HOUR };
      const meeting = anAppointment({ start: readAt - HOUR, end: readAt + HOUR });
      const recalculate = () =>
        recalculatePresence(
          wireRecalculation(world.services),
          presenceMessage.parse({ userId: '201', reason: 'calendar-changed' }),
        );
      const pushes = () => world.phonelink.pushes.filter((push) => push.userId === '201').length;
      await storeReadCalendar(world.services, '201', [meeting], { readAt, window, user: aUser() });
      assert.equal(await recalculate(), 'pushed');
      const pushed = pushes();

      assert.equal(
        (await world.call('PUT', 'settings', { body: '{"INTEGRATION_ENABLED": false}' })).status,
        200,
      );
      try {
        // The meeting was cancelled: a push is due, and must not go out while not activated.
        await storeReadCalendar(world.services, '201', [], { readAt: readAt + 1, window, user: aUser() });
        assert.equal(await recalculate(), 'integration-off');
        assert.equal(pushes(), pushed);
      } finally {
        await world.call('PUT', 'settings', { body: '{"INTEGRATION_ENABLED": true}' });
      }
    });
  });

  describe('§5 settings', () => {
    it('shows secrets only as set or not set', async () => {
      const settings = record((await world.call('GET', 'settings')).json);
      assert.deepEqual(settings.PHONELINK_API_KEY, { set: true });
      assert.deepEqual(settings.GRAPH_CLIENT_SECRET, { set: true });
      assert.deepEqual(settings.EWS_PASSWORD, { set: false });
      assert.deepEqual(settings.ADMIN_API_KEY, { set: true });
      assert.equal(settings.CALLBACK_URL, 'https://presence.example.com/');
      assert.equal(settings.SCAN_WINDOW_DAYS, 7);
    });

    const bad: readonly [string, string][] = [
      ['an unknown key', '{"NOT_A_SETTING": 1}'],
      ['a boolean as a string', '{"INTEGRATION_ENABLED": "yes"}'],
      ['a number as a string', '{"SCAN_WINDOW_DAYS": "7"}'],
      ['a number out of range', '{"SCAN_WINDOW_DAYS": 0}'],
      ['a choice not offered', '{"CALENDAR_SOURCE": "imap"}'],
      ['a URL that is not one', '{"CALLBACK_URL": "not a url"}'],
      ['an empty secret', '{"EWS_PASSWORD": ""}'],
      ['a setting only the deployment sets', '{"ADMIN_API_KEY": "mine"}'],
      ['an array', '[]'],
      ['__proto__ (issue 15.8)', '{"__proto__": {"INTEGRATION_ENABLED": false}}'],
      ['constructor (issue 15.8)', '{"constructor": {"prototype": {}}}'],
      ['prototype (issue 15.8)', '{"prototype": 1}'],
      ['__proto__ beside a real setting (issue 15.8)', '{"SCAN_WINDOW_DAYS": 9, "__proto__": null}'],
      [
        'an oversized CALLBACK_URL (issue 15.7)',
        JSON.stringify({ CALLBACK_URL: `https://presence.example.com/${'a'.repeat(40_000)}` }),
      ],
      [
        'a webhook secret shorter than 32 characters (issue 15.7)',
        '{"PHONELINK_WEBHOOK_SECRET": "short-Tt42"}',
      ],
      ['a scan more often than hourly (issue 15.7)', '{"SCAN_SCHEDULE": "0 */10 * * * *"}'],
      ['malformed JSON', '{"INTEGRATION_ENABLED": '],
    ];
    for (const [what, body] of bad) {
      it(`answers 400 to ${what} and changes nothing`, async () => {
        const before = (await world.call('GET', 'settings')).text;
        const answer = await world.call('PUT', 'settings', { body });
        assert.equal(answer.status, 400);
        assert.equal((await world.call('GET', 'settings')).text, before);
      });
    }

    it('writes a secret to the vault, never to Table storage, an answer or the log', async () => {
      const value = 'new-password-Kk40aZx9';
      const answer = await world.call('PUT', 'settings', { body: JSON.stringify({ EWS_PASSWORD: value }) });
      assert.equal(answer.status, 200);
      assert.deepEqual(record(answer.json).EWS_PASSWORD, { set: true });
      assert.ok(!answer.text.includes(value));
      assert.match(await readFile(world.secretsFile, 'utf8'), /new-password-Kk40aZx9/);
      assert.ok(!(await tableDump(world)).includes(value), 'not in any table');
      const lines = await world.call('GET', 'log');
      assert.match(lines.text, /Settings changed by the administrator: EWS_PASSWORD/);
      assert.ok(!lines.text.includes(value));
      world.bodies.push(value);
      const cleared = await world.call('PUT', 'settings', { body: '{"EWS_PASSWORD": null}' });
      assert.deepEqual(record(cleared.json).EWS_PASSWORD, { set: false });
      world.bodies.pop();
    });

    it('reads back a written text exactly and returns to the start-up value on null', async () => {
      const written = await world.call('PUT', 'settings', {
        body: '{"CALLBACK_URL": "https://other.example.com"}',
      });
      assert.equal(record(written.json).CALLBACK_URL, 'https://other.example.com');
      const reset = await world.call('PUT', 'settings', { body: '{"CALLBACK_URL": null}' });
      assert.equal(record(reset.json).CALLBACK_URL, 'https://presence.example.com/');
    });

    it('refuses credentials written into a URL, and never shows them', async () => {
      const before = (await world.call('GET', 'settings')).text;
      const answer = await world.call('PUT', 'settings', {
        body: JSON.stringify({
          PHONELINK_URL: 'https://operator:pw-in-url-Xy71@pbx.example.com:21020',
          PHONELINK_API_KEY: 'phonelink-key-retyped-Aa11',
        }),
      });
      assert.equal(answer.status, 400);
      assert.deepEqual(problemNames(answer), ['PHONELINK_URL']);
      assert.ok(!answer.text.includes('pw-in-url-Xy71'));
      assert.equal((await world.call('GET', 'settings')).text, before);
    });

    it('accepts what GET answered, sent back unchanged', async () => {
      const current = await world.call('GET', 'settings');
      const writable = Object.fromEntries(
        Object.entries(record(current.json)).filter(
          ([name]) =>
            !['AzureWebJobsStorage', 'ADMIN_API_KEY', 'APPLICATIONINSIGHTS_CONNECTION_STRING'].includes(name),
        ),
      );
      const answer = await world.call('PUT', 'settings', { body: JSON.stringify(writable) });
      assert.equal(answer.status, 200, answer.text);
    });
  });

  describe('§5 settings: secrets stay where they were entered (issue 15.1)', () => {
    const graphSecret = 'graph-secret-retyped-Qq73hLm2';
    const cases: readonly [string, Record<string, unknown>, readonly string[]][] = [
      [
        'PHONELINK_URL moved without the API key',
        { PHONELINK_URL: 'https://pbx.elsewhere.example' },
        ['PHONELINK_API_KEY'],
      ],
      [
        'GRAPH_AUTHORITY_HOST moved without the client secret',
        { GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.us' },
        ['GRAPH_CLIENT_SECRET'],
      ],
      [
        'GRAPH_BASE_URL moved without the client secret',
        { GRAPH_BASE_URL: 'https://graph.microsoft.us' },
        ['GRAPH_CLIENT_SECRET'],
      ],
      [
        'GRAPH_BASE_URL on a host that is no Microsoft cloud',
        { GRAPH_BASE_URL: 'https://graph.elsewhere.example', GRAPH_CLIENT_SECRET: graphSecret },
        ['GRAPH_BASE_URL'],
      ],
      [
        'GRAPH_AUTHORITY_HOST on a host that is no Microsoft cloud',
        { GRAPH_AUTHORITY_HOST: 'https://login.elsewhere.example', GRAPH_CLIENT_SECRET: graphSecret },
        ['GRAPH_AUTHORITY_HOST'],
      ],
      [
        'PHONELINK_URL over http: to another host, key given',
        {
          PHONELINK_URL: 'http://pbx.elsewhere.example:21020',
          PHONELINK_API_KEY: 'phonelink-key-retyped-Aa11',
        },
        ['PHONELINK_URL'],
      ],
      [
        'EWS_URL over http:, password given',
        { EWS_URL: 'http://mail.contoso.com/EWS/Exchange.asmx', EWS_PASSWORD: 'ews-password-Ee55' },
        ['EWS_URL'],
      ],
      [
        'basic authentication over http: on loopback',
        {
          EWS_URL: 'http://127.0.0.1:8080/EWS/Exchange.asmx',
          EWS_AUTH: 'basic',
          EWS_PASSWORD: 'ews-password-Ee55',
        },
        ['EWS_AUTH'],
      ],
    ];
    for (const [what, body, named] of cases) {
      it(`answers 400 naming ${named.join(', ')} to ${what}, and changes nothing`, async () => {
        const before = (await world.call('GET', 'settings')).text;
        const answer = await world.call('PUT', 'settings', { body: JSON.stringify(body) });
        assert.equal(answer.status, 400, answer.text);
        assert.deepEqual(problemNames(answer), named);
        assert.equal((await world.call('GET', 'settings')).text, before);
      });
    }

    it('moves a credential when it comes with its new place, to a national cloud or over https:', async () => {
      const moved = await world.call('PUT', 'settings', {
        body: JSON.stringify({
          GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.us',
          GRAPH_BASE_URL: 'https://dod-graph.microsoft.us',
          GRAPH_CLIENT_SECRET: graphSecret,
        }),
      });
      assert.equal(moved.status, 200, moved.text);
      // Back where the deployment sends it: no credential needed to go home.
      const home = await world.call('PUT', 'settings', {
        body: '{"GRAPH_AUTHORITY_HOST": null, "GRAPH_BASE_URL": null, "GRAPH_CLIENT_SECRET": null}',
      });
      assert.equal(home.status, 200, home.text);
      assert.equal(record(home.json).GRAPH_BASE_URL, 'https://graph.microsoft.com/');
    });

    it('keeps the start-up key from following a place an administrator chose before', async () => {
      const moved = await world.call('PUT', 'settings', {
        body: JSON.stringify({
          PHONELINK_URL: 'https://pbx.elsewhere.example',
          PHONELINK_API_KEY: 'phonelink-key-retyped-Aa11',
        }),
      });
      assert.equal(moved.status, 200, moved.text);
      // Forgetting the key typed with it would send the deployment's key there.
      const cleared = await world.call('PUT', 'settings', { body: '{"PHONELINK_API_KEY": null}' });
      assert.equal(cleared.status, 400);
      assert.deepEqual(problemNames(cleared), ['PHONELINK_API_KEY']);
      const home = await world.call('PUT', 'settings', {
        body: '{"PHONELINK_URL": null, "PHONELINK_API_KEY": null}',
      });
      assert.equal(home.status, 200, home.text);
    });

    it('asks for the EWS password again when the server moves or basic is chosen', async () => {
      const password = 'ews-password-Ee55-first';
      const set = await world.call('PUT', 'settings', {
        body: JSON.stringify({
          EWS_SERVER: 'mail.contoso.com',
          EWS_PASSWORD: password,
        }),
      });
      assert.equal(set.status, 200, set.text);
      for (const body of [
        { EWS_SERVER: 'mail.elsewhere.example' },
        { EWS_URL: 'https://mail.elsewhere.example/EWS/Exchange.asmx' },
        { EWS_AUTH: 'basic' },
      ]) {
        const answer = await world.call('PUT', 'settings', { body: JSON.stringify(body) });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.deepEqual(problemNames(answer), ['EWS_PASSWORD']);
      }
      const basic = await world.call('PUT', 'settings', {
        body: JSON.stringify({ EWS_AUTH: 'basic', EWS_PASSWORD: password }),
      });
      assert.equal(basic.status, 200, basic.text);
      const home = await world.call('PUT', 'settings', {
        body: '{"EWS_SERVER": null, "EWS_AUTH": null, "EWS_PASSWORD": null}',
      });
      assert.equal(home.status, 200, home.text);
    });

    it('warns in the health view when the deployment sends the PHONE-LiNK key over http:', () => {
      const settings = loadSettings({
        PHONELINK_URL: 'http://pbx.contoso.com:21020',
        PHONELINK_API_KEY: 'pl-key-Hh27',
      });
      assert.deepEqual(
        transportWarnings(settings).map((w) => w.text),
        ['PHONELINK_URL is http: the PHONE-LiNK API key travels unencrypted to pbx.contoso.com:21020'],
      );
      assert.deepEqual(
        transportWarnings(
          loadSettings({ PHONELINK_URL: 'https://pbx.contoso.com:21020', PHONELINK_API_KEY: 'pl-key-Hh27' }),
        ),
        [],
      );
    });
  });

  describe('§5 settings: secrets written here are scrubbed from telemetry (issue 15.7)', () => {
    it('redacts a secret written through the admin API from what telemetry records', async () => {
      const redact = createRedactor([]);
      const value = 'written-at-run-time-Jj28pWq5';
      const answer = await world.call('PUT', 'settings', { body: JSON.stringify({ EWS_PASSWORD: value }) });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(redact(`EWS said no to ${value}`), `EWS said no to ${REDACTED}`);
      await world.call('PUT', 'settings', { body: '{"EWS_PASSWORD": null}' });
    });
  });

  describe('§5 Force now and the log', () => {
    it('queues a scan (202) and the log returns only lines after the cursor, oldest first', async () => {
      const first = record((await world.call('GET', 'log')).json);
      const cursor = String(first.cursor);
      const none = record((await world.call('GET', `log?after=${encodeURIComponent(cursor)}`)).json);
      assert.deepEqual(none.entries, []);

      assert.equal((await world.call('POST', 'scan')).status, 202);
      await world.services.log.write('second line');
      const newer = record((await world.call('GET', `log?after=${encodeURIComponent(cursor)}`)).json);
      assert.ok(Array.isArray(newer.entries));
      const lines = newer.entries.map((e: unknown) => record(e).line);
      assert.deepEqual(lines, ['Force now: scan requested by the administrator', 'second line']);

      const queue = QueueServiceClient.fromConnectionString(world.azurite.connectionString).getQueueClient(
        'scan',
      );
      const peeked = await queue.peekMessages({ numberOfMessages: 32 });
      assert.ok(
        peeked.peekedMessageItems.some((m) =>
          /force/.test(Buffer.from(m.messageText, 'base64').toString() + m.messageText),
        ),
      );
    });

    it('answers 400 to a cursor it never gave', async () => {
      assert.equal((await world.call('GET', 'log?after=%3Cscript%3E')).status, 400);
    });
  });

  describe('§5 users and appointments', () => {
    it('lists integrated users with availability and why; hides private subjects', async () => {
      const now = Date.now();
      await world.services.users.replaceAll([
        aUser(),
        aUser({
          id: '206',
          name: 'Front Desk',
          email: null,
          integrated: false,
          skipReason: 'no email address',
        }),
      ]);
      await saveAppointments(
        world.services.calendars,
        '201',
        { start: now - 3_600_000, end: now + 7 * 86_400_000 },
        [
          anAppointment({
            id: 'a1',
            subject: 'Doctor',
            sensitivity: 'private',
            start: now - 60_000,
            end: now + 600_000,
          }),
          anAppointment({ id: 'a2', subject: 'Design review', start: now + 3_600_000, end: now + 7_200_000 }),
        ],
        { readAt: now, because: 'scan' },
      );
      await saveOutOfOffice(
        world.services.calendars,
        '201',
        { status: 'disabled', internalReplyHtml: null },
        'UTC',
        now,
      );

      const list = record((await world.call('GET', 'users')).json);
      assert.ok(Array.isArray(list.users) && Array.isArray(list.skipped));
      const ann = record(list.users[0]);
      assert.equal(ann.availability, 'Meeting');
      assert.equal(record(ann.why).kind, 'appointment');
      assert.match(String(record(ann.why).text), /subject is not shown/);
      assert.equal(record(list.skipped[0]).reason, 'no email address');

      const advanced = await world.call('GET', 'users/201/appointments');
      assert.equal(advanced.status, 200);
      assert.ok(!advanced.text.includes('Doctor'), 'the private subject is nowhere');
      const view = record(advanced.json);
      assert.ok(Array.isArray(view.appointments) && Array.isArray(view.transitions));
      assert.deepEqual(
        view.appointments.map((a: unknown) => record(a).subject),
        [null, 'Design review'],
      );
      assert.deepEqual(
        view.transitions.map((t: unknown) => record(t).availability),
        ['Available', 'Meeting', 'Available'],
      );
      assert.equal((await world.call('GET', 'users/nobody/appointments')).status, 404);
    });

    it('warns in the health view about calendars never read and subscriptions missing', async () => {
      await world.services.users.put(aUser({ id: '202', name: 'Bob', email: 'bob@contoso.com' }));
      const health = record((await world.call('GET', 'health')).json);
      assert.ok(Array.isArray(health.warnings));
      const texts = health.warnings.map((w: unknown) => String(record(w).text));
      assert.ok(
        texts.some((t) => /bob@contoso\.com: calendar not read yet/.test(t)),
        texts.join('\n'),
      );
      assert.ok(
        texts.some((t) => /ann@contoso\.com: no change subscription/.test(t)),
        texts.join('\n'),
      );
      assert.equal(record(health.phonelink).ok, true);
    });
  });

  describe('§5 health: pushes overdue', () => {
    it('warns when PHONE-LiNK has shown another availability than the calendar for over a minute', async () => {
      const now = Date.now();
      await world.services.users.put(aUser({ id: '203', name: 'Carla', email: 'carla@contoso.com' }));
      await saveAppointments(
        world.services.calendars,
        '203',
        { start: now - 3_600_000, end: now + 86_400_000 },
        [anAppointment({ id: 'c1', start: now - 300_000, end: now + 600_000 })],
        { readAt: now - 120_000, because: 'scan' },
      );
      await saveOutOfOffice(
        world.services.calendars,
        '203',
        { status: 'disabled', internalReplyHtml: null },
        'UTC',
        now - 120_000,
      );
      await world.services.presence.save(
        aPresenceRecord('203', { lastPushed: aPresenceBody(), lastPushedAt: now - 600_000, sequence: 1 }),
      );
      const health = record((await world.call('GET', 'health')).json);
      assert.ok(Array.isArray(health.warnings));
      const texts = health.warnings.map((w: unknown) => String(record(w).text));
      assert.ok(
        texts.includes('carla@contoso.com: PHONE-LiNK shows Available, the calendar says Meeting'),
        texts.join('\n'),
      );
    });
  });

  describe('§6 no secret anywhere', () => {
    it('never answers or logs a secret value', async () => {
      const log = (await world.call('GET', 'log')).text;
      for (const [name, value] of Object.entries(SECRETS)) {
        for (const body of [...world.bodies, log]) assert.ok(!body.includes(value), `${name} leaked`);
      }
    });
  });
});

/** Every property of every entity of every table, as text. */
async function tableDump(world: AdminWorld): Promise<string> {
  const { TableClient } = await import('@azure/data-tables');
  const service = TableServiceClient.fromConnectionString(world.azurite.connectionString, {
    allowInsecureConnection: true,
  });
  const parts: string[] = [];
  for await (const table of service.listTables()) {
    const client = TableClient.fromConnectionString(world.azurite.connectionString, table.name ?? '', {
      allowInsecureConnection: true,
    });
    for await (const entity of client.listEntities()) parts.push(JSON.stringify(entity));
  }
  return parts.join('\n');
}
