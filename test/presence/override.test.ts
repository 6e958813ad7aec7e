import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stateAt } from '../../shared/presence/evaluate.ts';
import type { Appointment, PresenceInput } from '../../shared/presence/model.ts';
import { overrideEndsAt } from '../../shared/presence/override.ts';
import { prepareCalendar } from '../../shared/presence/prepare.ts';
import { transitionsBetween } from '../../shared/presence/transitions.ts';
import {
  anAppointment,
  anOutOfOffice,
  anOverride,
  aPolicy,
  aPresenceInput,
  utc,
} from '../support/builders.ts';
import { assertShows, meeting, type Shown, shown } from './expect-state.ts';

const SET_AT = '2026-11-24T09:15:00Z';

function overridden(
  availability: Shown['availability'],
  until: string | null,
  message: string | null = null,
): Shown {
  const awayNow = availability === 'OutOfOffice';
  return {
    availability,
    greeting: awayNow ? 'absence' : 'standard',
    note: null,
    absence: awayNow ? { message, returnsAt: until } : null,
    until,
    source: 'override',
  };
}

/** A user in a meeting 09:00–10:00 with the next one at 14:00, who sets `availability` at 09:15. */
function userWith(fields: Partial<PresenceInput> = {}, availability: Shown['availability'] = 'Available') {
  return aPresenceInput({
    appointments: [
      anAppointment({ subject: 'Design review' }),
      anAppointment({
        subject: 'Planning',
        start: utc('2026-11-24T14:00:00Z'),
        end: utc('2026-11-24T15:00:00Z'),
      }),
    ],
    override: anOverride({ availability, setAt: utc(SET_AT) }),
    ...fields,
  });
}

function endOf(input: PresenceInput): string | null {
  const end = overrideEndsAt(prepareCalendar(input), utc(SET_AT));
  return end === null ? null : new Date(end).toISOString().replace('.000Z', 'Z');
}

describe('§3 override', () => {
  it('holds from the instant it is set, even during a meeting', () =>
    assertShows(userWith(), SET_AT, overridden('Available', '2026-11-24T14:00:00Z')));

  it('outlives the end of the meeting it was set in (ends are not event starts)', () =>
    assertShows(userWith(), '2026-11-24T12:00:00Z', overridden('Available', '2026-11-24T14:00:00Z')));

  it('ends when the next appointment starts: the calendar takes over', () =>
    assertShows(userWith(), '2026-11-24T14:00:00Z', meeting('Planning', '2026-11-24T15:00:00Z')));

  it('does not apply before it is set: until then the set instant is the next change', () =>
    assertShows(userWith(), '2026-11-24T09:05:00Z', meeting('Design review', SET_AT)));

  it('is ended early by a newly created earlier appointment', () => {
    const before = userWith();
    const after = {
      ...before,
      appointments: [
        ...before.appointments,
        anAppointment({
          subject: 'Call',
          start: utc('2026-11-24T11:00:00Z'),
          end: utc('2026-11-24T11:30:00Z'),
        }),
      ],
    };
    assert.equal(endOf(before), '2026-11-24T14:00:00Z');
    assert.equal(endOf(after), '2026-11-24T11:00:00Z');
    assertShows(after, '2026-11-24T10:59:59Z', overridden('Available', '2026-11-24T11:00:00Z'));
    assertShows(after, '2026-11-24T11:00:00Z', meeting('Call', '2026-11-24T11:30:00Z'));
  });

  it('OutOfOffice by hand plays the absence greeting with the reply text, returning at its end', () =>
    assertShows(
      userWith(
        { outOfOffice: anOutOfOffice({ status: 'disabled', internalReplyHtml: '<p>Out</p>' }) },
        'OutOfOffice',
      ),
      '2026-11-24T10:00:00Z',
      overridden('OutOfOffice', '2026-11-24T14:00:00Z', 'Out'),
    ));

  it('holds until cleared when nothing starts after it', () =>
    assertShows(
      aPresenceInput({ override: anOverride({ availability: 'Meeting', setAt: utc(SET_AT) }) }),
      '2026-12-24T10:00:00Z',
      overridden('Meeting', null),
    ));

  it('clearing it gives the calendar state back at once', () =>
    assertShows(
      { ...userWith(), override: null },
      '2026-11-24T09:30:00Z',
      meeting('Design review', '2026-11-24T10:00:00Z'),
    ));

  it('wins over enabled out-of-office while it holds', () =>
    assertShows(
      userWith({ outOfOffice: anOutOfOffice({ status: 'enabled' }) }),
      '2026-11-24T09:30:00Z',
      overridden('Available', '2026-11-24T14:00:00Z'),
    ));

  it('says why: the override and when it was set', () => {
    const state = stateAt(prepareCalendar(userWith()), utc('2026-11-24T09:30:00Z'));
    assert.deepEqual(state.reason, { kind: 'override', setAt: utc(SET_AT) });
  });

  it('shows its start and end as transitions and hides the calendar changes in between', () => {
    const calendar = prepareCalendar(userWith());
    const transitions = transitionsBetween(
      calendar,
      utc('2026-11-24T08:00:00Z'),
      utc('2026-11-24T16:00:00Z'),
    );
    assert.deepEqual(
      transitions.map((t) => ({ at: new Date(t.at).toISOString(), ...shown(t.state) })),
      [
        { at: '2026-11-24T09:00:00.000Z', ...meeting('Design review', SET_AT) },
        { at: '2026-11-24T09:15:00.000Z', ...overridden('Available', '2026-11-24T14:00:00Z') },
        { at: '2026-11-24T14:00:00.000Z', ...meeting('Planning', '2026-11-24T15:00:00Z') },
        { at: '2026-11-24T15:00:00.000Z', ...shown(stateAt(calendar, utc('2026-11-24T15:00:00Z'))) },
      ],
    );
    assert.equal(transitions[3]?.state.availability, 'Available');
  });
});

describe('§3 override end: the first presence-relevant event start after it is set', () => {
  const at = (iso: string) => utc(iso);
  const next = (fields: Partial<Appointment>) =>
    anAppointment({ start: at('2026-11-24T11:00:00Z'), end: at('2026-11-24T12:00:00Z'), ...fields });
  const cases: { name: string; input: PresenceInput; end: string | null }[] = [
    {
      name: 'a busy appointment starting later',
      input: aPresenceInput({ appointments: [next({})] }),
      end: '2026-11-24T11:00:00Z',
    },
    {
      name: 'an oof appointment starting later',
      input: aPresenceInput({ appointments: [next({ showAs: 'oof' })] }),
      end: '2026-11-24T11:00:00Z',
    },
    {
      name: 'a tentative one under TENTATIVE_AS=Meeting',
      input: aPresenceInput({ appointments: [next({ showAs: 'tentative' })] }),
      end: '2026-11-24T11:00:00Z',
    },
    {
      name: 'not a tentative one under TENTATIVE_AS=Available',
      input: aPresenceInput({
        policy: aPolicy({ tentativeAs: 'Available' }),
        appointments: [next({ showAs: 'tentative' })],
      }),
      end: null,
    },
    {
      name: 'not a free one',
      input: aPresenceInput({ appointments: [next({ showAs: 'free' })] }),
      end: null,
    },
    {
      name: 'not a workingElsewhere one',
      input: aPresenceInput({ appointments: [next({ showAs: 'workingElsewhere' })] }),
      end: null,
    },
    {
      name: 'not a cancelled one',
      input: aPresenceInput({ appointments: [next({ isCancelled: true })] }),
      end: null,
    },
    {
      name: 'not a declined one',
      input: aPresenceInput({ appointments: [next({ isDeclined: true })] }),
      end: null,
    },
    {
      name: 'not one starting exactly when it is set',
      input: aPresenceInput({ appointments: [next({ start: at(SET_AT) })] }),
      end: null,
    },
    {
      name: 'not the end of the meeting it was set in',
      input: aPresenceInput({ appointments: [anAppointment({ end: at('2026-11-24T10:00:00Z') })] }),
      end: null,
    },
    {
      name: 'the start of scheduled out-of-office',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: at('2026-11-24T17:00:00Z'),
          end: at('2026-11-25T07:00:00Z'),
        }),
      }),
      end: '2026-11-24T17:00:00Z',
    },
    {
      name: 'the end of scheduled out-of-office',
      input: aPresenceInput({
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: at('2026-11-24T07:00:00Z'),
          end: at('2026-11-24T17:00:00Z'),
        }),
      }),
      end: '2026-11-24T17:00:00Z',
    },
    {
      name: 'the earliest of several',
      input: aPresenceInput({
        appointments: [next({}), next({ start: at('2026-11-24T10:30:00Z') })],
        outOfOffice: anOutOfOffice({
          status: 'scheduled',
          start: at('2026-11-24T17:00:00Z'),
          end: at('2026-11-25T07:00:00Z'),
        }),
      }),
      end: '2026-11-24T10:30:00Z',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(endOf(c.input), c.end));
});
