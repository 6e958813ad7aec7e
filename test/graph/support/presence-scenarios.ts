import type { Mailboxes } from '../../../dev/exchange-sim/mailboxes.ts';
import type { PresenceWire } from '../../../dev/phonelink-sim/phonelink-simulator.ts';
import { toIsoSeconds } from '../../../shared/presence/instant.ts';
import type { WorldUser } from './exchange-world.ts';

/** SPEC §3 as a table: one PHONE-LiNK user per scenario, their mailbox set up before the first scan. */
export const MINUTE = 60_000;
/** Whole seconds: instants go over the wire to the second. */
const T0 = Math.floor(Date.now() / 1000) * 1000;
export const at = (minutes: number) => T0 + minutes * MINUTE;

export interface Scenario {
  readonly name: string;
  readonly timeZone?: string;
  readonly email?: string | null;
  readonly calendarIntegration?: boolean;
  readonly seed?: (mailboxes: Mailboxes, email: string) => void;
  /** What PHONE-LiNK must end up with; null: never pushed. */
  readonly expect: Partial<PresenceWire> | null;
}

type TimedEvent = Extract<Parameters<Mailboxes['createEvent']>[1], { start: number }>;

/** A busy appointment from 30 minutes ago to an hour from now, changed by `overrides`. */
export const busy = (
  mailboxes: Mailboxes,
  email: string,
  overrides: Partial<Omit<TimedEvent, 'isAllDay'>> = {},
) =>
  mailboxes.createEvent(email, {
    subject: 'Design review',
    start: at(-30),
    end: at(60),
    showAs: 'busy',
    ...overrides,
  } satisfies TimedEvent);

/** The local date in an IANA zone, for all-day events that must cover now in the mailbox's zone. */
function localDate(instant: number, zone: string, addDays = 0): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(instant + addDays * 24 * 60 * MINUTE));
  return parts;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'rule 1: out-of-office enabled → OutOfOffice, absence greeting, plain-text reply',
    seed: (m, e) =>
      m.setAutomaticReplies(e, { status: 'alwaysEnabled', internalReplyMessage: '<p>On leave</p>' }),
    expect: {
      availability: 'OutOfOffice',
      greeting: 'absence',
      note: null,
      absence: { message: 'On leave', returnsAt: null },
    },
  },
  {
    name: 'rule 1: out-of-office scheduled around now → OutOfOffice until its end',
    seed: (m, e) =>
      m.setAutomaticReplies(e, {
        status: 'scheduled',
        start: at(-60),
        end: at(120),
        internalReplyMessage: 'Back soon',
      }),
    expect: {
      availability: 'OutOfOffice',
      greeting: 'absence',
      note: null,
      until: toIsoSeconds(at(120)),
      absence: { message: 'Back soon', returnsAt: toIsoSeconds(at(120)) },
    },
  },
  {
    name: 'rule 1: out-of-office scheduled later → Available until it begins',
    seed: (m, e) => m.setAutomaticReplies(e, { status: 'scheduled', start: at(120), end: at(240) }),
    expect: { availability: 'Available', greeting: 'standard', until: toIsoSeconds(at(120)) },
  },
  {
    name: 'rule 2: an appointment shown as oof → OutOfOffice with its subject and end',
    seed: (m, e) => {
      m.setAutomaticReplies(e, { status: 'disabled', internalReplyMessage: 'Away this week' });
      busy(m, e, { subject: 'Vacation', showAs: 'oof' });
    },
    expect: {
      availability: 'OutOfOffice',
      greeting: 'absence',
      note: 'Vacation',
      absence: { message: 'Away this week', returnsAt: toIsoSeconds(at(60)) },
    },
  },
  {
    name: 'rule 3: a busy appointment → Meeting with its subject until it ends',
    seed: (m, e) => busy(m, e),
    expect: {
      availability: 'Meeting',
      greeting: 'standard',
      note: 'Design review',
      until: toIsoSeconds(at(60)),
      absence: null,
    },
  },
  {
    name: 'rule 3: a tentative appointment → Meeting (TENTATIVE_AS default)',
    seed: (m, e) => busy(m, e, { showAs: 'tentative', subject: 'Maybe' }),
    expect: { availability: 'Meeting', note: 'Maybe' },
  },
  {
    name: 'rule 2 over rule 3: overlapping busy and oof → OutOfOffice',
    seed: (m, e) => {
      busy(m, e, { subject: 'Standup' });
      busy(m, e, { subject: 'Offsite', showAs: 'oof', start: at(-10), end: at(30) });
    },
    expect: { availability: 'OutOfOffice', note: 'Offsite' },
  },
  {
    name: 'back-to-back appointments → Meeting until the second ends, no gap',
    seed: (m, e) => {
      busy(m, e, { subject: 'First', start: at(-30), end: at(30) });
      busy(m, e, { subject: 'Second', start: at(30), end: at(90) });
    },
    expect: { availability: 'Meeting', note: 'First', until: toIsoSeconds(at(90)) },
  },
  {
    name: 'a private appointment never reveals its subject',
    seed: (m, e) => busy(m, e, { subject: 'Doctor', sensitivity: 'private' }),
    expect: { availability: 'Meeting', note: null },
  },
  {
    name: 'an all-day appointment covers the day in the mailbox time zone',
    timeZone: 'Tokyo Standard Time',
    seed: (m, e) =>
      m.createEvent(e, {
        subject: 'Conference',
        isAllDay: true,
        startDate: localDate(T0, 'Asia/Tokyo'),
        endDate: localDate(T0, 'Asia/Tokyo', 1),
        showAs: 'busy',
      }),
    expect: { availability: 'Meeting', note: 'Conference' },
  },
  ...(
    [
      ['free', { showAs: 'free' }],
      ['workingElsewhere', { showAs: 'workingElsewhere' }],
      ['unknown', { showAs: 'unknown' }],
      ['cancelled', { isCancelled: true }],
      ['declined', { response: 'declined' }],
    ] as const
  ).map(
    ([what, overrides]): Scenario => ({
      name: `rule 4: a ${what} appointment does not count → Available`,
      seed: (m, e) => busy(m, e, overrides),
      expect: { availability: 'Available', greeting: 'standard', note: null, absence: null },
    }),
  ),
  {
    name: 'rule 4: nothing → Available, nothing ahead',
    expect: {
      availability: 'Available',
      greeting: 'standard',
      note: null,
      until: null,
      absence: null,
      source: 'calendar',
    },
  },
  { name: 'a user without an email address is not integrated', email: null, expect: null },
  { name: 'a user without Calendar Integration is not integrated', calendarIntegration: false, expect: null },
];

/** The world's users for `scenarios`, ids from `firstId`. */
export function scenarioUsers(scenarios: readonly Scenario[], firstId = 301): WorldUser[] {
  return scenarios.map((scenario, i) => ({
    id: String(firstId + i),
    email: scenario.email === null ? null : `user${firstId + i}@contoso.com`,
    calendarIntegration: scenario.calendarIntegration ?? true,
    ...(scenario.timeZone === undefined ? {} : { timeZone: scenario.timeZone }),
  }));
}

export function seedScenarios(
  scenarios: readonly Scenario[],
  users: readonly WorldUser[],
  mailboxes: Mailboxes,
): void {
  scenarios.forEach((scenario, i) => {
    const email = users[i]?.email;
    if (email) scenario.seed?.(mailboxes, email);
  });
}

export function matches(presence: PresenceWire, expected: Partial<PresenceWire>): boolean {
  return Object.entries(expected).every(
    ([key, value]) => JSON.stringify(presence[key as keyof PresenceWire]) === JSON.stringify(value),
  );
}
