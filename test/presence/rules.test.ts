import { describe, it } from 'node:test';
import { anAppointment, anOutOfOffice, aPolicy, aPresenceInput, utc } from '../support/builders.ts';
import { assertShows, available, away, type Case, meeting } from './expect-state.ts';

const REPLY = '<p>I am <b>away</b>.</p>';
const TEXT = 'I am away.';

function runTable(cases: readonly Case[]): void {
  for (const c of cases) it(c.name, () => assertShows(c.input, c.at, c.expected));
}

describe('§3 rule 1: out-of-office settings', () => {
  runTable([
    {
      name: 'enabled out-of-office is OutOfOffice with no note, no return time and no until',
      input: aPresenceInput({ outOfOffice: anOutOfOffice({ status: 'enabled', internalReplyHtml: REPLY }) }),
      at: '2026-11-24T12:00:00Z',
      expected: away(null, { message: TEXT, returnsAt: null }, null),
    },
    {
      name: 'enabled out-of-office wins over a meeting and an oof appointment',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({ status: 'enabled', internalReplyHtml: REPLY }),
        appointments: [
          anAppointment({ showAs: 'oof' }),
          anAppointment({ subject: 'Board', start: utc('2026-11-24T09:30:00Z') }),
        ],
      }),
      at: '2026-11-24T09:45:00Z',
      expected: away(null, { message: TEXT, returnsAt: null }, null),
    },
    {
      name: 'scheduled out-of-office begins at its start',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: utc('2026-11-24T17:00:00Z'),
          end: utc('2026-11-30T07:00:00Z'),
          internalReplyHtml: REPLY,
        }),
      }),
      at: '2026-11-24T17:00:00Z',
      expected: away(null, { message: TEXT, returnsAt: '2026-11-30T07:00:00Z' }, '2026-11-30T07:00:00Z'),
    },
    {
      name: 'scheduled out-of-office has not begun a millisecond before its start',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: utc('2026-11-24T17:00:00Z'),
          end: utc('2026-11-30T07:00:00Z'),
        }),
      }),
      at: '2026-11-24T16:59:59.999Z',
      expected: available('2026-11-24T17:00:00Z'),
    },
    {
      name: 'scheduled out-of-office has ended at its end (half-open)',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: utc('2026-11-24T17:00:00Z'),
          end: utc('2026-11-30T07:00:00Z'),
        }),
      }),
      at: '2026-11-30T07:00:00Z',
      expected: available(null),
    },
    {
      name: 'scheduled out-of-office ending inside a meeting hands over to the meeting',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: utc('2026-11-23T07:00:00Z'),
          end: utc('2026-11-24T09:30:00Z'),
        }),
        appointments: [anAppointment({ subject: 'Design review' })],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: meeting('Design review', '2026-11-24T10:00:00Z'),
    },
    {
      name: 'scheduled out-of-office covering a meeting decides over it',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: utc('2026-11-23T07:00:00Z'),
          end: utc('2026-11-24T09:30:00Z'),
        }),
        appointments: [anAppointment({ subject: 'Design review' })],
      }),
      at: '2026-11-24T09:15:00Z',
      expected: away(null, { message: null, returnsAt: '2026-11-24T09:30:00Z' }, '2026-11-24T09:30:00Z'),
    },
    {
      name: 'disabled out-of-office does nothing',
      input: aPresenceInput({ outOfOffice: anOutOfOffice({ status: 'disabled', internalReplyHtml: REPLY }) }),
      at: '2026-11-24T12:00:00Z',
      expected: available(null),
    },
  ]);
});

describe('§3 rule 2: out-of-office appointments', () => {
  runTable([
    {
      name: 'an oof appointment is OutOfOffice with its subject and its end as return time',
      input: aPresenceInput({ appointments: [anAppointment({ showAs: 'oof', subject: 'Vacation' })] }),
      at: '2026-11-24T09:00:00Z',
      expected: away(
        'Vacation',
        { message: null, returnsAt: '2026-11-24T10:00:00Z' },
        '2026-11-24T10:00:00Z',
      ),
    },
    {
      name: 'its absence carries the reply text even while out-of-office is disabled',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({ status: 'disabled', internalReplyHtml: REPLY }),
        appointments: [anAppointment({ showAs: 'oof', subject: 'Vacation' })],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: away(
        'Vacation',
        { message: TEXT, returnsAt: '2026-11-24T10:00:00Z' },
        '2026-11-24T10:00:00Z',
      ),
    },
    {
      name: 'it decides over a busy meeting that started later',
      input: aPresenceInput({
        appointments: [
          anAppointment({ showAs: 'oof', subject: 'Vacation', end: utc('2026-11-24T12:00:00Z') }),
          anAppointment({
            subject: 'Board',
            start: utc('2026-11-24T10:00:00Z'),
            end: utc('2026-11-24T11:00:00Z'),
          }),
        ],
      }),
      at: '2026-11-24T10:30:00Z',
      expected: away(
        'Vacation',
        { message: null, returnsAt: '2026-11-24T12:00:00Z' },
        '2026-11-24T12:00:00Z',
      ),
    },
    {
      name: 'among overlapping oof appointments the later start decides',
      input: aPresenceInput({
        appointments: [
          anAppointment({ showAs: 'oof', subject: 'Vacation', end: utc('2026-11-24T12:00:00Z') }),
          anAppointment({
            showAs: 'oof',
            subject: 'Doctor',
            start: utc('2026-11-24T10:00:00Z'),
            end: utc('2026-11-24T11:00:00Z'),
          }),
        ],
      }),
      at: '2026-11-24T10:00:00Z',
      expected: away('Doctor', { message: null, returnsAt: '2026-11-24T12:00:00Z' }, '2026-11-24T12:00:00Z'),
    },
    {
      name: 'a private oof appointment shows no subject',
      input: aPresenceInput({
        appointments: [anAppointment({ showAs: 'oof', subject: 'Clinic', sensitivity: 'private' })],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: away(null, { message: null, returnsAt: '2026-11-24T10:00:00Z' }, '2026-11-24T10:00:00Z'),
    },
  ]);
});

describe('§3 rule 3: busy and tentative appointments', () => {
  const overlapping = [
    anAppointment({ id: 'long', subject: 'Workshop', end: utc('2026-11-24T12:00:00Z') }),
    anAppointment({
      id: 'short',
      subject: 'Standup',
      start: utc('2026-11-24T10:00:00Z'),
      end: utc('2026-11-24T10:15:00Z'),
    }),
  ];
  runTable([
    {
      name: 'a busy appointment is Meeting with its subject until its end',
      input: aPresenceInput({ appointments: [anAppointment()] }),
      at: '2026-11-24T09:00:00Z',
      expected: meeting('Design review', '2026-11-24T10:00:00Z'),
    },
    {
      name: 'the end is excluded (half-open)',
      input: aPresenceInput({ appointments: [anAppointment()] }),
      at: '2026-11-24T10:00:00Z',
      expected: available(null),
    },
    {
      name: 'of overlapping meetings the one that started last decides',
      input: aPresenceInput({ appointments: overlapping }),
      at: '2026-11-24T10:05:00Z',
      expected: meeting('Standup', '2026-11-24T12:00:00Z'),
    },
    {
      name: 'the longer meeting decides again when the later one ends',
      input: aPresenceInput({ appointments: overlapping }),
      at: '2026-11-24T10:15:00Z',
      expected: meeting('Workshop', '2026-11-24T12:00:00Z'),
    },
    {
      name: 'among equal starts the one that ends last decides',
      input: aPresenceInput({
        appointments: [
          anAppointment({ subject: 'Short' }),
          anAppointment({ subject: 'Long', end: utc('2026-11-24T11:00:00Z') }),
        ],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: meeting('Long', '2026-11-24T11:00:00Z'),
    },
    {
      name: 'back-to-back meetings with different subjects are Meeting until the last ends',
      input: aPresenceInput({
        appointments: [
          anAppointment({ subject: 'First' }),
          anAppointment({
            subject: 'Second',
            start: utc('2026-11-24T10:00:00Z'),
            end: utc('2026-11-24T11:00:00Z'),
          }),
        ],
      }),
      at: '2026-11-24T09:59:59Z',
      expected: meeting('First', '2026-11-24T11:00:00Z'),
    },
    {
      name: 'back-to-back meetings with equal subjects are one state until the last ends',
      input: aPresenceInput({
        appointments: [
          anAppointment({ subject: 'Training' }),
          anAppointment({
            subject: 'Training',
            start: utc('2026-11-24T10:00:00Z'),
            end: utc('2026-11-24T11:00:00Z'),
          }),
        ],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: meeting('Training', '2026-11-24T11:00:00Z'),
    },
    {
      name: 'back-to-back private meetings are one state without a note',
      input: aPresenceInput({
        appointments: [
          anAppointment({ subject: 'A', sensitivity: 'private' }),
          anAppointment({
            subject: 'B',
            sensitivity: 'confidential',
            start: utc('2026-11-24T10:00:00Z'),
            end: utc('2026-11-24T11:00:00Z'),
          }),
        ],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: meeting(null, '2026-11-24T11:00:00Z'),
    },
    {
      name: 'tentative counts as Meeting under TENTATIVE_AS=Meeting',
      input: aPresenceInput({ appointments: [anAppointment({ showAs: 'tentative', subject: 'Maybe' })] }),
      at: '2026-11-24T09:30:00Z',
      expected: meeting('Maybe', '2026-11-24T10:00:00Z'),
    },
    {
      name: 'tentative does not count under TENTATIVE_AS=Available',
      input: aPresenceInput({
        policy: aPolicy({ tentativeAs: 'Available' }),
        appointments: [anAppointment({ showAs: 'tentative', subject: 'Maybe' })],
      }),
      at: '2026-11-24T09:30:00Z',
      expected: available(null),
    },
    {
      name: 'SHARE_SUBJECTS=false shows no subject',
      input: aPresenceInput({ policy: aPolicy({ shareSubjects: false }), appointments: [anAppointment()] }),
      at: '2026-11-24T09:30:00Z',
      expected: meeting(null, '2026-11-24T10:00:00Z'),
    },
    ...(['private', 'personal', 'confidential'] as const).map(
      (sensitivity): Case => ({
        name: `a ${sensitivity} appointment shows no subject`,
        input: aPresenceInput({ appointments: [anAppointment({ subject: 'Secret', sensitivity })] }),
        at: '2026-11-24T09:30:00Z',
        expected: meeting(null, '2026-11-24T10:00:00Z'),
      }),
    ),
  ]);
});

describe('§3 rule 4: otherwise Available', () => {
  const notCounting = [
    { name: 'cancelled', fields: { isCancelled: true } },
    { name: 'declined', fields: { isDeclined: true } },
    { name: 'free', fields: { showAs: 'free' } },
    { name: 'workingElsewhere', fields: { showAs: 'workingElsewhere' } },
    { name: 'unknown', fields: { showAs: 'unknown' } },
    { name: 'cancelled oof', fields: { showAs: 'oof', isCancelled: true } },
    { name: 'declined tentative', fields: { showAs: 'tentative', isDeclined: true } },
  ] as const;
  runTable([
    {
      name: 'no appointments: Available with no until',
      input: aPresenceInput(),
      at: '2026-11-24T09:30:00Z',
      expected: available(null),
    },
    {
      name: 'before a meeting: Available until it starts',
      input: aPresenceInput({ appointments: [anAppointment()] }),
      at: '2026-11-24T08:00:00Z',
      expected: available('2026-11-24T09:00:00Z'),
    },
    ...notCounting.map(
      ({ name, fields }): Case => ({
        name: `a ${name} appointment does not count`,
        input: aPresenceInput({ appointments: [anAppointment(fields)] }),
        at: '2026-11-24T09:30:00Z',
        expected: available(null),
      }),
    ),
    {
      name: 'a zero-length appointment covers no instant',
      input: aPresenceInput({ appointments: [anAppointment({ end: utc('2026-11-24T09:00:00Z') })] }),
      at: '2026-11-24T09:00:00Z',
      expected: available(null),
    },
  ]);
});
