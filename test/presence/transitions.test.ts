import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PresenceInput } from '../../shared/presence/model.ts';
import { prepareCalendar } from '../../shared/presence/prepare.ts';
import { transitionsBetween } from '../../shared/presence/transitions.ts';
import {
  anAllDayAppointment,
  anAppointment,
  anOutOfOffice,
  aPresenceInput,
  utc,
} from '../support/builders.ts';
import { available, away, meeting, type Shown, shown } from './expect-state.ts';

function transitions(input: PresenceInput, from: string, to: string): { at: string; state: Shown }[] {
  return transitionsBetween(prepareCalendar(input), utc(from), utc(to)).map((t) => ({
    at: new Date(t.at).toISOString().replace('.000Z', 'Z'),
    state: shown(t.state),
  }));
}

const slot = (subject: string, from: string, to: string, fields = {}) =>
  anAppointment({
    subject,
    start: utc(`2026-11-24T${from}:00Z`),
    end: utc(`2026-11-24T${to}:00Z`),
    ...fields,
  });

describe('§3 transitions within a window', () => {
  it('a meeting begins and ends', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({ appointments: [slot('A', '09:00', '10:00')] }),
        '2026-11-24T00:00:00Z',
        '2026-11-25T00:00:00Z',
      ),
      [
        { at: '2026-11-24T09:00:00Z', state: meeting('A', '2026-11-24T10:00:00Z') },
        { at: '2026-11-24T10:00:00Z', state: available(null) },
      ],
    ));

  it('back-to-back meetings change only the note at the shared boundary, never via Available', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('B', '10:00', '11:00')] }),
        '2026-11-24T00:00:00Z',
        '2026-11-25T00:00:00Z',
      ),
      [
        { at: '2026-11-24T09:00:00Z', state: meeting('A', '2026-11-24T11:00:00Z') },
        { at: '2026-11-24T10:00:00Z', state: meeting('B', '2026-11-24T11:00:00Z') },
        { at: '2026-11-24T11:00:00Z', state: available(null) },
      ],
    ));

  it('back-to-back meetings with equal subjects make no transition at the boundary', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({ appointments: [slot('A', '09:00', '10:00'), slot('A', '10:00', '11:00')] }),
        '2026-11-24T00:00:00Z',
        '2026-11-25T00:00:00Z',
      ),
      [
        { at: '2026-11-24T09:00:00Z', state: meeting('A', '2026-11-24T11:00:00Z') },
        { at: '2026-11-24T11:00:00Z', state: available(null) },
      ],
    ));

  it('overlapping private meetings are one continuous Meeting', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({
          appointments: [
            slot('A', '09:00', '10:30', { sensitivity: 'private' }),
            slot('B', '10:00', '11:00', { sensitivity: 'private' }),
          ],
        }),
        '2026-11-24T00:00:00Z',
        '2026-11-25T00:00:00Z',
      ),
      [
        { at: '2026-11-24T09:00:00Z', state: meeting(null, '2026-11-24T11:00:00Z') },
        { at: '2026-11-24T11:00:00Z', state: available(null) },
      ],
    ));

  it('an oof appointment inside a meeting interrupts it and hands back', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({
          appointments: [
            slot('Workshop', '09:00', '12:00'),
            slot('Doctor', '10:00', '11:00', { showAs: 'oof' }),
          ],
        }),
        '2026-11-24T00:00:00Z',
        '2026-11-25T00:00:00Z',
      ),
      [
        { at: '2026-11-24T09:00:00Z', state: meeting('Workshop', '2026-11-24T10:00:00Z') },
        {
          at: '2026-11-24T10:00:00Z',
          state: away('Doctor', { message: null, returnsAt: '2026-11-24T11:00:00Z' }, '2026-11-24T11:00:00Z'),
        },
        { at: '2026-11-24T11:00:00Z', state: meeting('Workshop', '2026-11-24T12:00:00Z') },
        { at: '2026-11-24T12:00:00Z', state: available(null) },
      ],
    ));

  it('scheduled out-of-office begins and ends', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({
          outOfOffice: anOutOfOffice({
            status: 'scheduled',
            start: utc('2026-11-24T17:00:00Z'),
            end: utc('2026-11-26T07:00:00Z'),
            internalReplyHtml: 'Away',
          }),
        }),
        '2026-11-24T00:00:00Z',
        '2026-11-27T00:00:00Z',
      ),
      [
        {
          at: '2026-11-24T17:00:00Z',
          state: away(null, { message: 'Away', returnsAt: '2026-11-26T07:00:00Z' }, '2026-11-26T07:00:00Z'),
        },
        { at: '2026-11-26T07:00:00Z', state: available(null) },
      ],
    ));

  it('excludes the window start and includes its end', () => {
    const input = aPresenceInput({ appointments: [slot('A', '09:00', '10:00')] });
    assert.deepEqual(
      transitions(input, '2026-11-24T09:00:00Z', '2026-11-24T10:00:00Z').map((t) => t.at),
      ['2026-11-24T10:00:00Z'],
    );
    assert.deepEqual(transitions(input, '2026-11-24T10:00:00Z', '2026-11-24T09:00:00Z'), []);
  });

  it('all-day appointments across the autumn change in New York change at local midnights', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({
          mailboxTimeZone: 'Eastern Standard Time',
          appointments: [
            anAllDayAppointment('2026-10-31', '2026-10-31', { subject: 'Sat' }),
            anAllDayAppointment('2026-11-01', '2026-11-01', { subject: 'Sun' }),
          ],
        }),
        '2026-10-30T00:00:00Z',
        '2026-11-05T00:00:00Z',
      ).map((t) => `${t.at} ${t.state.note}`),
      ['2026-10-31T04:00:00Z Sat', '2026-11-01T04:00:00Z Sun', '2026-11-02T05:00:00Z null'],
    ));

  it('all-day appointments across the spring change in Berlin change at local midnights', () =>
    assert.deepEqual(
      transitions(
        aPresenceInput({
          mailboxTimeZone: 'W. Europe Standard Time',
          appointments: [anAllDayAppointment('2026-03-28', '2026-03-30', { subject: 'Fair' })],
        }),
        '2026-03-27T00:00:00Z',
        '2026-04-01T00:00:00Z',
      ).map((t) => `${t.at} ${t.state.availability}`),
      ['2026-03-27T23:00:00Z Meeting', '2026-03-30T22:00:00Z Available'],
    ));
});
