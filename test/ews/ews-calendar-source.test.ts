import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventInput } from '../../dev/exchange-sim/mailboxes.ts';
import type { Mailbox } from '../../shared/calendar/calendar-source.ts';
import { getUserOofSettingsBody } from '../../shared/calendar/ews/ews-operations.ts';
import { readSoapAnswer, soapEnvelope } from '../../shared/calendar/ews/ews-soap.ts';
import { EwsTransport } from '../../shared/calendar/ews/ews-transport.ts';
import { Secret } from '../../shared/config/secret.ts';
import type { Appointment } from '../../shared/presence/model.ts';
import { anAppointment, floatingDate, utc } from '../support/builders.ts';
import { type EwsWorld, MemoryLog, PLAIN_ACCOUNT, SERVICE_ACCOUNT, startEwsWorld } from './ews-fixture.ts';

const WINDOW = { start: utc('2026-11-23T00:00:00Z'), end: utc('2026-11-30T00:00:00Z') };

function mailbox(world: EwsWorld, email: string, userId = email.split('@')[0] ?? email): Mailbox {
  if (!world.mailboxes.findUser(email)) world.mailboxes.addUser({ email });
  return { userId, email };
}

/** An appointment as read back, without the id Exchange gave it: busy, accepted, normal unless told. */
function read(fields: Partial<Appointment>): Omit<Appointment, 'id'> {
  const { id: _id, ...rest } = anAppointment(fields);
  return rest;
}

function byStart(appointments: readonly Appointment[]): Appointment[] {
  return [...appointments].sort((a, b) => a.start - b.start);
}

describe('EWS calendar source against the simulated Exchange', () => {
  let world: EwsWorld;
  before(async () => {
    world = await startEwsWorld();
  });
  after(async () => {
    await world.stop();
  });

  it('connects and logs SPEC §6 lines with the version', async () => {
    const log = new MemoryLog();
    await world.source().connect(log);
    assert.deepEqual(log.text(), [
      'Starting EWS',
      `Using EWS URL: ${world.url.href}`,
      'Connected to EWS Microsoft Exchange(v15.02.1544.0004)',
    ]);
  });

  it('reads the calendar view and maps each CalendarItem to an appointment', async () => {
    const ann = mailbox(world, 'ann@contoso.com');
    const events: readonly EventInput[] = [
      { subject: 'Design review', start: utc('2026-11-24T09:00:00Z'), end: utc('2026-11-24T10:00:00Z') },
      {
        subject: 'Maybe',
        showAs: 'tentative',
        start: utc('2026-11-24T11:00:00Z'),
        end: utc('2026-11-24T12:00:00Z'),
      },
      {
        subject: 'Cancelled',
        isCancelled: true,
        start: utc('2026-11-24T13:00:00Z'),
        end: utc('2026-11-24T14:00:00Z'),
      },
      {
        subject: 'Declined',
        response: 'declined',
        start: utc('2026-11-24T15:00:00Z'),
        end: utc('2026-11-24T16:00:00Z'),
      },
      {
        subject: 'Doctor',
        sensitivity: 'private',
        showAs: 'oof',
        start: utc('2026-11-25T08:00:00Z'),
        end: utc('2026-11-25T09:00:00Z'),
      },
      {
        subject: 'Offsite',
        isAllDay: true,
        startDate: '2026-11-26',
        endDate: '2026-11-28',
        showAs: 'workingElsewhere',
      },
      { subject: 'Out of window', start: utc('2026-12-05T09:00:00Z'), end: utc('2026-12-05T10:00:00Z') },
    ];
    for (const event of events) world.mailboxes.createEvent(ann.email, event);

    const results = await world.source().readCalendars([ann], WINDOW);
    const result = results.get(ann.userId);
    assert.ok(result?.ok, JSON.stringify(result));
    const got = byStart(result.value.appointments).map(({ id: _id, ...rest }) => rest);
    assert.deepEqual(got, [
      read({
        subject: 'Design review',
        start: utc('2026-11-24T09:00:00Z'),
        end: utc('2026-11-24T10:00:00Z'),
      }),
      read({
        subject: 'Maybe',
        start: utc('2026-11-24T11:00:00Z'),
        end: utc('2026-11-24T12:00:00Z'),
        showAs: 'tentative',
      }),
      read({
        subject: 'Cancelled',
        start: utc('2026-11-24T13:00:00Z'),
        end: utc('2026-11-24T14:00:00Z'),
        isCancelled: true,
      }),
      read({
        subject: 'Declined',
        start: utc('2026-11-24T15:00:00Z'),
        end: utc('2026-11-24T16:00:00Z'),
        isDeclined: true,
      }),
      read({
        subject: 'Doctor',
        start: utc('2026-11-25T08:00:00Z'),
        end: utc('2026-11-25T09:00:00Z'),
        showAs: 'oof',
        sensitivity: 'private',
      }),
      // Midnight in Berlin (the mailbox zone) read back as floating dates.
      read({
        subject: 'Offsite',
        start: floatingDate('2026-11-26'),
        end: floatingDate('2026-11-28'),
        isAllDay: true,
        showAs: 'workingElsewhere',
      }),
    ]);
  });

  it('pages a calendar view longer than MaxEntriesReturned', async () => {
    const bob = mailbox(world, 'bob@contoso.com');
    for (let hour = 8; hour < 15; hour += 1) {
      world.mailboxes.createEvent(bob.email, {
        subject: `Slot ${hour}`,
        start: utc(`2026-11-24T${String(hour).padStart(2, '0')}:00:00Z`),
        end: utc(`2026-11-24T${String(hour + 1).padStart(2, '0')}:00:00Z`),
      });
    }
    const result = (await world.source({ pageSize: 3 }).readCalendars([bob], WINDOW)).get(bob.userId);
    assert.ok(result?.ok);
    assert.deepEqual(
      byStart(result.value.appointments).map((a) => a.subject),
      ['Slot 8', 'Slot 9', 'Slot 10', 'Slot 11', 'Slot 12', 'Slot 13', 'Slot 14'],
    );
  });

  it('reads out-of-office settings and the mailbox time zone', async () => {
    const cases = [
      {
        email: 'oof-off@contoso.com',
        input: { status: 'disabled' as const },
        expected: { status: 'disabled', internalReplyHtml: null },
      },
      {
        email: 'oof-on@contoso.com',
        input: { status: 'alwaysEnabled' as const, internalReplyMessage: '<p>Away &amp; back</p>' },
        expected: { status: 'enabled', internalReplyHtml: '<p>Away &amp; back</p>' },
      },
      {
        email: 'oof-later@contoso.com',
        input: {
          status: 'scheduled' as const,
          start: utc('2026-11-25T00:00:00Z'),
          end: utc('2026-11-27T00:00:00Z'),
          internalReplyMessage: 'On leave',
        },
        expected: {
          status: 'scheduled',
          start: utc('2026-11-25T00:00:00Z'),
          end: utc('2026-11-27T00:00:00Z'),
          internalReplyHtml: 'On leave',
        },
      },
    ];
    const boxes = cases.map((c) => {
      const box = mailbox(world, c.email);
      world.mailboxes.setAutomaticReplies(c.email, c.input);
      return box;
    });
    world.mailboxes.setTimeZone('oof-later@contoso.com', 'Pacific Standard Time');
    const results = await world.source().readOutOfOffice(boxes);
    for (const [index, c] of cases.entries()) {
      const result = results.get(boxes[index]?.userId ?? '');
      assert.ok(result?.ok, c.email);
      assert.deepEqual(result.value.outOfOffice, c.expected, c.email);
    }
    const later = results.get('oof-later');
    assert.equal(later?.ok && later.value.timeZone, 'Pacific Standard Time');
  });

  it('reads the time zone again with each out-of-office refresh', async () => {
    const box = mailbox(world, 'mover@contoso.com');
    const source = world.source();
    const zoneNow = async () => {
      const result = (await source.readOutOfOffice([box])).get(box.userId);
      return result?.ok ? result.value.timeZone : null;
    };
    assert.equal(await zoneNow(), 'W. Europe Standard Time');
    world.mailboxes.setTimeZone(box.email, 'Tokyo Standard Time');
    assert.equal(await zoneNow(), 'Tokyo Standard Time');
  });

  it('impersonates each user with ExchangeImpersonation and X-AnchorMailbox, never reading its own mailbox', async () => {
    const carol = mailbox(world, 'carol@contoso.com');
    const before = world.sim.requests.length;
    const source = world.source();
    await source.readCalendars([carol], WINDOW);
    await source.readOutOfOffice([carol]);
    const mailboxCalls = world.sim.requests.slice(before).filter((r) => r.operation !== 'GetServerTimeZones');
    assert.ok(mailboxCalls.length >= 2);
    for (const call of mailboxCalls) {
      assert.equal(call.impersonated, carol.email, call.operation);
      assert.equal(call.anchorMailbox, carol.email, call.operation);
      assert.equal(call.account, SERVICE_ACCOUNT.username);
    }
  });

  it('authenticates with NTLMv2 or Basic, and says so when the password is wrong', async () => {
    const dave = mailbox(world, 'dave@contoso.com');
    for (const auth of ['ntlm', 'basic'] as const) {
      const before = world.sim.requests.length;
      const result = (await world.source({ auth }).readCalendars([dave], WINDOW)).get(dave.userId);
      assert.ok(result?.ok, auth);
      assert.equal(world.sim.requests.at(-1)?.scheme, auth);
      assert.ok(world.sim.requests.length > before);
      await assert.rejects(world.source({ auth, password: 'wrong' }).readCalendars([dave], WINDOW), {
        code: 'exchange.unauthorized',
      });
    }
  });

  it('shakes hands once per connection and sends later requests on it without credentials', async () => {
    const gus = mailbox(world, 'gus@contoso.com');
    const source = world.source();
    const before = world.sim.ntlmHandshakes;
    for (let i = 0; i < 5; i += 1) await source.readCalendars([gus], WINDOW);
    assert.equal(world.sim.ntlmHandshakes - before, 1);
  });

  it('reconnects and shakes hands again when Exchange drops its connections', async () => {
    const hal = mailbox(world, 'hal@contoso.com');
    const source = world.source();
    assert.equal((await source.readCalendars([hal], WINDOW)).get(hal.userId)?.ok, true);
    const before = world.sim.ntlmHandshakes;
    world.sim.dropConnections();
    assert.equal((await source.readCalendars([hal], WINDOW)).get(hal.userId)?.ok, true);
    assert.equal(world.sim.ntlmHandshakes - before, 1);
  });

  it('fails per mailbox: no impersonation right, and a mailbox that does not exist', async () => {
    const erin = mailbox(world, 'erin@contoso.com');
    const ghost = { userId: 'ghost', email: 'ghost@contoso.com' };
    const results = await world.source().readCalendars([erin, ghost], WINDOW);
    assert.equal(results.get('erin')?.ok, true);
    const missing = results.get('ghost');
    assert.equal(missing?.ok === false && missing.error.code, 'exchange.mailbox_not_found');
    const denied = (
      await world
        .source({ username: PLAIN_ACCOUNT.username, password: PLAIN_ACCOUNT.password })
        .readCalendars([erin], WINDOW)
    ).get('erin');
    assert.equal(denied?.ok === false && denied.error.code, 'exchange.unauthorized');
  });

  it('backs off on ErrorServerBusy as long as BackOffMilliseconds says', async () => {
    const fay = mailbox(world, 'fay@contoso.com');
    const waits: number[] = [];
    world.sim.injectServerBusy(2, 1234);
    const source = world.source({ sleep: async (ms) => void waits.push(ms) });
    const result = (await source.readCalendars([fay], WINDOW)).get('fay');
    assert.equal(result?.ok, true);
    assert.deepEqual(waits, [1234, 1234]);
    world.sim.injectServerBusy(1, 600_000);
    const throttled = (await source.readCalendars([fay], WINDOW)).get('fay');
    assert.equal(throttled?.ok === false && throttled.error.code, 'exchange.throttled');
    assert.equal(throttled?.ok === false && throttled.error.retryAfterSeconds, 600);
  });
});

describe('§5 EWS as Exchange answers', () => {
  let world: EwsWorld;
  before(async () => {
    world = await startEwsWorld();
  });
  after(async () => {
    await world.stop();
  });

  it('reads a mailbox by an alias: ConnectingSID carries SmtpAddress, which takes any proxy address', async () => {
    world.mailboxes.addUser({ email: 'gina.lopez@contoso.com', aliases: ['gina@contoso.com'] });
    world.mailboxes.createEvent('gina.lopez@contoso.com', {
      subject: 'Design review',
      start: utc('2026-11-24T09:00:00Z'),
      end: utc('2026-11-24T10:00:00Z'),
    });
    const gina = { userId: 'gina', email: 'gina@contoso.com' };
    const source = world.source();
    const calendar = (await source.readCalendars([gina], WINDOW)).get('gina');
    assert.deepEqual(calendar?.ok && calendar.value.appointments.map((a) => a.subject), ['Design review']);
    const outOfOffice = (await source.readOutOfOffice([gina])).get('gina');
    assert.equal(outOfOffice?.ok, true);
  });

  it('refuses an alias under PrimarySmtpAddress with ErrorNonExistentMailbox, as Exchange does', async () => {
    world.mailboxes.addUser({ email: 'hal.jones@contoso.com', aliases: ['hal@contoso.com'] });
    const transport = new EwsTransport({
      url: world.url,
      auth: 'ntlm',
      username: SERVICE_ACCOUNT.username,
      password: new Secret(SERVICE_ACCOUNT.password),
      ca: world.exchange.caPem,
    });
    try {
      const asPrimary = (address: string) =>
        soapEnvelope(getUserOofSettingsBody(address), address).replaceAll(
          'SmtpAddress>',
          'PrimarySmtpAddress>',
        );
      const alias = readSoapAnswer((await transport.post(asPrimary('hal@contoso.com'), {})).body);
      assert.equal(
        !alias.ok && typeof alias.error !== 'string' && alias.error.responseCode,
        'ErrorNonExistentMailbox',
      );
      const primary = readSoapAnswer((await transport.post(asPrimary('hal.jones@contoso.com'), {})).body);
      assert.equal(primary.ok, true);
    } finally {
      transport.close();
    }
  });

  it('keeps the out-of-office and calendar of a mailbox without OWA.UserOptions, in the zone its items name, and logs it once', async () => {
    world.mailboxes.addUser({ email: 'ida@contoso.com', timeZone: 'Tokyo Standard Time' });
    world.sim.neverOpenedInOwa('ida@contoso.com');
    world.mailboxes.createEvent('ida@contoso.com', {
      subject: 'Offsite',
      isAllDay: true,
      startDate: '2026-11-25',
      endDate: '2026-11-26',
    });
    world.mailboxes.setAutomaticReplies('ida@contoso.com', {
      status: 'alwaysEnabled',
      internalReplyMessage: 'Away',
    });
    const ida = { userId: 'ida', email: 'ida@contoso.com' };
    const log = new MemoryLog();
    const source = world.source({ log, now: () => WINDOW.start });
    for (let refresh = 0; refresh < 2; refresh += 1) {
      const outOfOffice = (await source.readOutOfOffice([ida])).get('ida');
      assert.deepEqual(outOfOffice?.ok && outOfOffice.value, {
        outOfOffice: { status: 'enabled', internalReplyHtml: 'Away' },
        timeZone: 'Tokyo Standard Time',
      });
      const calendar = (await source.readCalendars([ida], WINDOW)).get('ida');
      assert.deepEqual(calendar?.ok && calendar.value.appointments.map((a) => [a.start, a.end]), [
        [floatingDate('2026-11-25'), floatingDate('2026-11-26')],
      ]);
    }
    assert.deepEqual(
      log.lines.filter((entry) => entry.line.includes('ida@contoso.com')),
      [
        {
          line: 'Could not read the time zone of ida@contoso.com (ErrorItemNotFound): using the zone its appointments name, Tokyo Standard Time',
          level: 'warning',
        },
      ],
    );
  });
});
