import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import { AppError } from '../../shared/errors.ts';
import type { Appointment, Instant } from '../../shared/presence/model.ts';
import { type CalendarSyncMessage, calendarSyncMessage } from '../../shared/queues/messages.ts';
import type { StoredCalendar } from '../../shared/storage/stores.ts';
import {
  planFollowUps,
  planLoad,
  planReads,
  queuedRecalculation,
  readStillNeeded,
} from '../../shared/sync/calendar-sync-plan.ts';
import {
  planStore,
  type StoreOutcome,
  storedAfter,
  type UserRead,
  type UserState,
} from '../../shared/sync/mailbox-read-plan.ts';
import { anAppointment, anOutOfOffice, utc } from '../support/builders.ts';

const NOW = utc('2026-11-24T09:00:00Z');
const WINDOW_DAYS = 7;

function aMessage(fields: Partial<CalendarSyncMessage> & { reason: CalendarSyncMessage['reason'] }) {
  return calendarSyncMessage.parse({ userIds: ['201'], ...fields });
}

/** Read at `readAt` over the following week, in Berlin. */
function stored(userId: string, readAt: string): StoredCalendar {
  const at = utc(readAt);
  return {
    userId,
    appointments: [],
    window: { start: at, end: at + WINDOW_DAYS * 24 * 3600_000 },
    calendarReadAt: at,
    calendarReadBecause: 'scan',
    outOfOffice: anOutOfOffice(),
    timeZone: 'W. Europe Standard Time',
    outOfOfficeReadAt: at,
    lastError: null,
  };
}

function aSubscription(userId: string, expiresAt: string): CalendarSubscription {
  return {
    id: `sub-${userId}`,
    userId,
    source: 'graph',
    expiresAt: utc(expiresAt),
    clientState: 's',
    watermark: null,
  };
}

function aUser(userId: string, fields: Partial<UserState> = {}): UserState {
  return {
    mailbox: { userId, email: `u${userId}@contoso.com` },
    name: `User ${userId}`,
    stored: null,
    subscription: null,
    joined: false,
    ...fields,
  };
}

const ids = (users: readonly UserState[]) => users.map((u) => u.mailbox.userId);

describe('§2 calendar sync: what a job loads', () => {
  const cases: {
    reason: CalendarSyncMessage['reason'];
    fullRead: boolean;
    withStored: boolean;
    withSubscription: boolean;
  }[] = [
    { reason: 'scan', fullRead: true, withStored: false, withSubscription: true },
    { reason: 'force', fullRead: true, withStored: false, withSubscription: true },
    { reason: 'resync', fullRead: true, withStored: false, withSubscription: true },
    { reason: 'refresh-oof', fullRead: false, withStored: true, withSubscription: true },
    { reason: 'notification', fullRead: false, withStored: true, withSubscription: false },
  ];
  for (const c of cases) {
    it(`${c.reason}: ${c.fullRead ? 'a full read' : 'compared with what is stored'}`, () =>
      assert.deepEqual(planLoad(aMessage({ reason: c.reason })), {
        fullRead: c.fullRead,
        withStored: c.withStored,
        withSubscription: c.withSubscription,
      }));
  }
});

describe('§2 calendar sync: whom a job reads and subscribes', () => {
  const fresh = aUser('201', {
    stored: stored('201', '2026-11-24T08:00:00Z'),
    subscription: aSubscription('201', '2026-11-30T00:00:00Z'),
  });
  const dayOld = aUser('202', {
    stored: stored('202', '2026-11-23T08:00:00Z'),
    subscription: aSubscription('202', '2026-11-25T00:00:00Z'),
  });
  const unknown = aUser('203');
  const users = [fresh, dayOld, unknown];
  const cases: {
    name: string;
    message: CalendarSyncMessage;
    calendar: string[];
    outOfOffice: string[];
    subscribe: string[];
  }[] = [
    {
      name: 'a scan reads and subscribes everyone',
      message: aMessage({ reason: 'scan' }),
      calendar: ['201', '202', '203'],
      outOfOffice: ['201', '202', '203'],
      subscribe: ['201', '202', '203'],
    },
    {
      name: 'the hourly refresh reads out-of-office of all, calendars over 20 hours old, renews what expires within 3 days',
      message: aMessage({ reason: 'refresh-oof', outOfOfficeOnly: true }),
      calendar: ['202', '203'],
      outOfOffice: ['201', '202', '203'],
      subscribe: ['202', '203'],
    },
    {
      name: 'a notice skips calendars read after it arrived, and out-of-office already known',
      message: aMessage({ reason: 'notification', notifiedAt: utc('2026-11-24T07:30:00Z') }),
      calendar: ['202', '203'],
      outOfOffice: ['203'],
      subscribe: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planReads(c.message, users, NOW, WINDOW_DAYS);
      assert.deepEqual(
        {
          calendar: ids(plan.readCalendar),
          outOfOffice: ids(plan.readOutOfOffice),
          subscribe: ids(plan.subscribe),
        },
        { calendar: c.calendar, outOfOffice: c.outOfOffice, subscribe: c.subscribe },
      );
    });
  }

  it('tells the administrator what a full read does, and keeps the hourly refresh quiet', () => {
    assert.deepEqual(planReads(aMessage({ reason: 'force' }), [unknown], NOW, WINDOW_DAYS).logLines, [
      'Subscribing to availability of user: u203@contoso.com',
      'Getting out-of-office settings for: 1 users',
      'Getting out-of-office settings for: u203@contoso.com',
    ]);
    assert.deepEqual(planReads(aMessage({ reason: 'refresh-oof' }), users, NOW, WINDOW_DAYS).logLines, []);
  });
});

describe('§2 calendar sync: what follows the reads', () => {
  const calendar = stored('201', '2026-11-24T09:00:00Z');
  const throttled = new AppError('exchange.throttled', 'Exchange throttled the read');
  const outcome = (fields: Partial<StoreOutcome>): StoreOutcome => ({
    changed: false,
    calendar: null,
    created: false,
    transient: null,
    ...fields,
  });
  const users = [aUser('201'), aUser('202'), aUser('203'), aUser('204')];
  const outcomes = [
    outcome({ changed: true, calendar, created: true }),
    outcome({ changed: true }),
    outcome({}),
    outcome({ transient: throttled }),
  ];
  const notice = aMessage({ reason: 'notification', notifiedAt: utc('2026-11-24T08:59:00Z') });

  it('recalculates here whom it holds everything of, queues the rest that changed, reads the throttled again', () => {
    const plan = planFollowUps(notice, users, outcomes, {
      recalculatesHere: true,
      unconfirmedSince: undefined,
    });
    assert.deepEqual(plan, {
      recalculateHere: [
        {
          userId: '201',
          known: { userName: 'User 201', calendar, presenceAbsent: true },
          notifiedAt: utc('2026-11-24T08:59:00Z'),
          unconfirmedSince: undefined,
        },
      ],
      queue: ['202'],
      readAgain: { userIds: ['204'], cause: throttled },
    });
  });

  it('queues every changed user when it cannot recalculate itself', () => {
    const plan = planFollowUps(notice, users, outcomes, {
      recalculatesHere: false,
      unconfirmedSince: undefined,
    });
    assert.deepEqual([plan.recalculateHere, plan.queue], [[], ['201', '202']]);
  });

  it('recalculates everyone when delivered again (its first run may have stopped mid-push)', () => {
    const since = utc('2026-11-24T08:00:00Z');
    const plan = planFollowUps(notice, users, outcomes, { recalculatesHere: true, unconfirmedSince: since });
    assert.deepEqual(
      [plan.recalculateHere.map((h) => [h.userId, h.unconfirmedSince]), plan.queue],
      [[['201', since]], ['202', '203', '204']],
    );
  });

  const queued: {
    name: string;
    options: Parameters<typeof queuedRecalculation>[2];
    unconfirmedSince: number | undefined;
  }[] = [
    {
      name: 'hands the notice on',
      options: { failedHere: false, startedAt: NOW },
      unconfirmedSince: undefined,
    },
    {
      name: 'marks pushes since the job began unconfirmed when a recalculation here failed',
      options: { failedHere: true, startedAt: NOW },
      unconfirmedSince: NOW,
    },
    {
      name: 'keeps the earlier instant of a job delivered again',
      options: { failedHere: false, startedAt: NOW, unconfirmedSince: NOW - 60_000 },
      unconfirmedSince: NOW - 60_000,
    },
  ];
  for (const c of queued) {
    it(`one presence message for the rest: ${c.name}`, () =>
      assert.deepEqual(queuedRecalculation(notice, ['202'], c.options), {
        userIds: ['202'],
        reason: 'calendar-changed',
        notifiedAt: utc('2026-11-24T08:59:00Z'),
        ...(c.unconfirmedSince === undefined ? {} : { unconfirmedSince: c.unconfirmedSince }),
      }));
  }

  it('sends no presence message when nobody is left', () =>
    assert.equal(queuedRecalculation(notice, [], { failedHere: true, startedAt: NOW }), null));
});

describe('§2 calendar sync: what a job stores for a user', () => {
  const design = anAppointment({ id: 'a1', subject: 'Design review' });
  const known = aUser('201', {
    stored: { ...stored('201', '2026-11-23T08:00:00Z'), appointments: [design] },
  });
  const calendarRead = (appointments: readonly Appointment[]) => ({
    ok: true as const,
    value: { appointments },
  });
  const oofRead = (status: 'disabled' | 'enabled') => ({
    ok: true as const,
    value: { outOfOffice: anOutOfOffice({ status }), timeZone: 'W. Europe Standard Time' },
  });
  const failed = (code: 'exchange.throttled' | 'exchange.mailbox_not_found') => ({
    ok: false as const,
    error: new AppError(code, code === 'exchange.throttled' ? 'throttled' : 'no such mailbox'),
  });
  const read = (fields: Partial<UserRead>): UserRead => ({
    now: NOW,
    because: 'notification',
    calendar: undefined,
    outOfOffice: undefined,
    subscription: undefined,
    ...fields,
  });
  const cases: {
    name: string;
    user: UserState;
    read: UserRead;
    writes: string[];
    changed: boolean;
    errors: number;
    transient: boolean;
  }[] = [
    {
      name: 'writes a first read whole, and its presence inputs changed',
      user: aUser('201', { joined: true }),
      read: read({ calendar: calendarRead([design]), outOfOffice: oofRead('disabled') }),
      writes: ['calendar', 'outOfOffice', 'firstRead'],
      changed: true,
      errors: 0,
      transient: false,
    },
    {
      name: 'writes the same calendar again (when it was read) and not an unchanged out-of-office: nothing changed',
      user: known,
      read: read({ calendar: calendarRead([{ ...design }]), outOfOffice: oofRead('disabled') }),
      writes: ['calendar'],
      changed: false,
      errors: 0,
      transient: false,
    },
    {
      name: 'an appointment gone is a change',
      user: known,
      read: read({ calendar: calendarRead([]) }),
      writes: ['calendar'],
      changed: true,
      errors: 0,
      transient: false,
    },
    {
      name: 'an out-of-office switched on is a change',
      user: known,
      read: read({ outOfOffice: oofRead('enabled') }),
      writes: ['outOfOffice'],
      changed: true,
      errors: 0,
      transient: false,
    },
    {
      name: 'a throttled read keeps what was known and is worth another try',
      user: known,
      read: read({ calendar: failed('exchange.throttled') }),
      writes: [],
      changed: false,
      errors: 1,
      transient: true,
    },
    {
      name: 'a failed subscription is shown, not tried again in a job of its own',
      user: known,
      read: read({ calendar: calendarRead([design]), subscription: failed('exchange.mailbox_not_found') }),
      writes: ['calendar'],
      changed: false,
      errors: 1,
      transient: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planStore(c.user, c.read, WINDOW_DAYS);
      assert.deepEqual(
        {
          writes:
            plan.write === null
              ? []
              : ['calendar', 'outOfOffice', 'firstRead'].filter((k) => k in (plan.write ?? {})),
          changed: plan.changed,
          errors: plan.errors.length,
          transient: plan.transient !== null,
        },
        { writes: c.writes, changed: c.changed, errors: c.errors, transient: c.transient },
      );
    });
  }

  it('knows what is stored after its write without reading it back, unless something failed or a newer read won', () => {
    const plan = planStore(known, read({ calendar: calendarRead([design]) }), WINDOW_DAYS);
    const taken = {
      taken: true as const,
      created: false,
      outOfOffice: { outOfOffice: anOutOfOffice(), timeZone: 'UTC' },
    };
    assert.deepEqual(storedAfter(known, plan, taken), {
      ...known.stored,
      appointments: [design],
      window: { start: NOW, end: NOW + WINDOW_DAYS * 24 * 3600_000 },
      calendarReadAt: NOW,
      calendarReadBecause: 'notification',
      timeZone: 'UTC',
    });
    assert.equal(storedAfter(known, plan, { taken: false }), null);
    const throttled = planStore(known, read({ calendar: failed('exchange.throttled') }), WINDOW_DAYS);
    assert.equal(storedAfter(known, throttled, taken), null);
  });
});

const second = (time: string): Instant => Date.parse(`2026-11-24T09:00:${time}Z`);

describe('§5 a job skips a user whose read began after the notices it stands for', () => {
  const cases: {
    name: string;
    readAt: string | null;
    notifiedAt: string | undefined;
    read: boolean;
  }[] = [
    { name: 'reads a user never read', readAt: null, notifiedAt: '01.000', read: true },
    {
      name: 'reads a user read before the last notice arrived',
      readAt: '00.500',
      notifiedAt: '01.000',
      read: true,
    },
    {
      name: 'skips a user read as the last notice arrived',
      readAt: '01.000',
      notifiedAt: '01.000',
      read: false,
    },
    { name: 'skips a user read after the notices', readAt: '01.200', notifiedAt: '01.000', read: false },
    {
      name: 'reads always for a job no notice caused',
      readAt: '05.000',
      notifiedAt: undefined,
      read: true,
    },
  ];
  for (const { name, readAt, notifiedAt, read } of cases) {
    it(name, () =>
      assert.equal(
        readStillNeeded(
          readAt === null ? null : second(readAt),
          notifiedAt === undefined ? undefined : second(notifiedAt),
        ),
        read,
      ),
    );
  }
});
