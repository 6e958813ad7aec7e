import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Appointment, PresenceInput } from '../../shared/presence/model.ts';
import { prepareCalendar } from '../../shared/presence/prepare.ts';
import { transitionsBetween } from '../../shared/presence/transitions.ts';
import { anAppointment, anOutOfOffice, aPolicy, aPresenceInput, utc } from '../support/builders.ts';
import { assertShows, available, away, type Case, meeting, type Shown, shown } from './expect-state.ts';

/** An appointment on 2026-11-24 between two UTC times of day. */
const slot = (subject: string, from: string, to: string, fields: Partial<Appointment> = {}) =>
  anAppointment({
    subject,
    start: utc(`2026-11-24T${from}:00Z`),
    end: utc(`2026-11-24T${to}:00Z`),
    ...fields,
  });

const day = (time: string) => `2026-11-24T${time}:00Z`;
const vacation = anOutOfOffice({
  status: 'scheduled',
  start: utc(day('09:00')),
  end: utc(day('12:00')),
  internalReplyHtml: '<p>Back soon</p>',
});

describe('§3/§4 until over a stretch: the first push names the true end', () => {
  const cases: readonly Case[] = [
    {
      name: 'back-to-back meetings are Meeting until the last ends',
      input: aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('B', '10:00', '11:00')] }),
      at: day('09:00'),
      expected: meeting('A', day('11:00')),
    },
    {
      name: 'overlapping meetings are Meeting until the one that ends last ends',
      input: aPresenceInput({ appointments: [slot('A', '09:00', '10:30'), slot('B', '10:00', '11:00')] }),
      at: day('09:00'),
      expected: meeting('A', day('11:00')),
    },
    {
      name: 'a chain of three, each overlapping or touching the next, is one stretch',
      input: aPresenceInput({
        appointments: [slot('A', '09:00', '10:00'), slot('B', '10:00', '11:00'), slot('C', '10:30', '12:00')],
      }),
      at: day('09:30'),
      expected: meeting('A', day('12:00')),
    },
    {
      name: 'inside the stretch, until is still its end',
      input: aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('B', '10:00', '11:00')] }),
      at: day('10:00'),
      expected: meeting('B', day('11:00')),
    },
    {
      name: 'a short meeting inside a long one does not end the stretch',
      input: aPresenceInput({
        appointments: [slot('Workshop', '09:00', '12:00'), slot('Call', '10:00', '10:15')],
      }),
      at: day('10:00'),
      expected: meeting('Call', day('12:00')),
    },
    {
      name: 'a tentative meeting counted as Meeting joins the stretch',
      input: aPresenceInput({
        appointments: [slot('A', '09:00', '10:00'), slot('Maybe', '10:00', '11:00', { showAs: 'tentative' })],
      }),
      at: day('09:00'),
      expected: meeting('A', day('11:00')),
    },
    {
      name: 'with TENTATIVE_AS=Available the tentative meeting ends the stretch',
      input: aPresenceInput({
        appointments: [slot('A', '09:00', '10:00'), slot('Maybe', '10:00', '11:00', { showAs: 'tentative' })],
        policy: aPolicy({ tentativeAs: 'Available' }),
      }),
      at: day('09:00'),
      expected: meeting('A', day('10:00')),
    },
    {
      name: 'a minute between two meetings is Available: two stretches',
      input: aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('B', '10:01', '11:00')] }),
      at: day('09:00'),
      expected: meeting('A', day('10:00')),
    },
    {
      name: 'a free, cancelled or declined appointment in between does not bridge the gap',
      input: aPresenceInput({
        appointments: [
          slot('A', '09:00', '10:00'),
          slot('Lunch', '10:00', '11:00', { showAs: 'free' }),
          slot('Gone', '10:00', '11:00', { isCancelled: true }),
          slot('No', '10:00', '11:00', { isDeclined: true }),
          slot('B', '11:00', '12:00'),
        ],
      }),
      at: day('09:00'),
      expected: meeting('A', day('10:00')),
    },
    {
      name: 'a meeting followed by an oof appointment ends where the availability changes',
      input: aPresenceInput({
        appointments: [slot('A', '09:00', '10:00'), slot('Doctor', '10:00', '11:00', { showAs: 'oof' })],
      }),
      at: day('09:00'),
      expected: meeting('A', day('10:00')),
    },
    {
      name: 'back-to-back oof appointments are away until, and returning at, the last end',
      input: aPresenceInput({
        appointments: [
          slot('Doctor', '09:00', '10:00', { showAs: 'oof' }),
          slot('Dentist', '10:00', '11:30', { showAs: 'oof' }),
        ],
      }),
      at: day('09:00'),
      expected: away('Doctor', { message: null, returnsAt: day('11:30') }, day('11:30')),
    },
    {
      name: 'scheduled out-of-office followed by an oof appointment returns at the appointment end',
      input: aPresenceInput({
        outOfOffice: vacation,
        appointments: [slot('Travel', '12:00', '14:00', { showAs: 'oof' })],
      }),
      at: day('09:00'),
      expected: away(null, { message: 'Back soon', returnsAt: day('14:00') }, day('14:00')),
    },
    {
      name: 'a meeting that runs into scheduled out-of-office ends where it begins',
      input: aPresenceInput({ outOfOffice: vacation, appointments: [slot('A', '08:00', '10:00')] }),
      at: day('08:00'),
      expected: meeting('A', day('09:00')),
    },
  ];
  for (const c of cases) it(c.name, () => assertShows(c.input, c.at, c.expected));
});

describe('§3 inner boundaries of a stretch: only a note-only push', () => {
  const cases: readonly {
    name: string;
    input: PresenceInput;
    expected: readonly { at: string; state: Shown }[];
  }[] = [
    {
      name: 'back-to-back meetings: the note changes at the boundary, until stays',
      input: aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('B', '10:00', '11:00')] }),
      expected: [
        { at: day('09:00'), state: meeting('A', day('11:00')) },
        { at: day('10:00'), state: meeting('B', day('11:00')) },
        { at: day('11:00'), state: available(null) },
      ],
    },
    {
      name: 'back-to-back meetings with one subject: no push at the boundary',
      input: aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('A', '10:00', '11:00')] }),
      expected: [
        { at: day('09:00'), state: meeting('A', day('11:00')) },
        { at: day('11:00'), state: available(null) },
      ],
    },
    {
      name: 'a short meeting inside a long one: its subject, then the long one again',
      input: aPresenceInput({
        appointments: [slot('Workshop', '09:00', '12:00'), slot('Call', '10:00', '10:15')],
      }),
      expected: [
        { at: day('09:00'), state: meeting('Workshop', day('12:00')) },
        { at: day('10:00'), state: meeting('Call', day('12:00')) },
        { at: day('10:15'), state: meeting('Workshop', day('12:00')) },
        { at: day('12:00'), state: available(null) },
      ],
    },
    {
      name: 'a private meeting then a normal one: the note appears at the boundary',
      input: aPresenceInput({
        appointments: [
          slot('Secret', '09:00', '10:00', { sensitivity: 'private' }),
          slot('B', '10:00', '11:00'),
        ],
      }),
      expected: [
        { at: day('09:00'), state: meeting(null, day('11:00')) },
        { at: day('10:00'), state: meeting('B', day('11:00')) },
        { at: day('11:00'), state: available(null) },
      ],
    },
    {
      name: 'with SHARE_SUBJECTS=false a stretch is one push',
      input: aPresenceInput({
        appointments: [slot('A', '09:00', '10:00'), slot('B', '10:00', '11:00')],
        policy: aPolicy({ shareSubjects: false }),
      }),
      expected: [
        { at: day('09:00'), state: meeting(null, day('11:00')) },
        { at: day('11:00'), state: available(null) },
      ],
    },
    {
      name: 'scheduled out-of-office then an oof appointment: only the note changes when it takes over',
      input: aPresenceInput({
        outOfOffice: vacation,
        appointments: [slot('Travel', '11:00', '14:00', { showAs: 'oof' })],
      }),
      expected: [
        {
          at: day('09:00'),
          state: away(null, { message: 'Back soon', returnsAt: day('14:00') }, day('14:00')),
        },
        {
          at: day('12:00'),
          state: away('Travel', { message: 'Back soon', returnsAt: day('14:00') }, day('14:00')),
        },
        { at: day('14:00'), state: available(null) },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () =>
      assert.deepEqual(
        transitionsBetween(prepareCalendar(c.input), utc(day('00:00')), utc(day('23:59'))).map((t) => ({
          at: new Date(t.at).toISOString().replace('.000Z', 'Z'),
          state: shown(t.state),
        })),
        c.expected,
      ),
    );
  }
});
