import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stateAt } from '../../shared/presence/evaluate.ts';
import type {
  Appointment,
  Instant,
  PresenceInput,
  PresenceState,
  Transition,
} from '../../shared/presence/model.ts';
import { prepareCalendar } from '../../shared/presence/prepare.ts';
import { sameState } from '../../shared/presence/same-state.ts';
import { floatingToInstant, toIanaZone } from '../../shared/presence/time-zone.ts';
import { nextChangeAfter, transitionsBetween } from '../../shared/presence/transitions.ts';
import {
  anAppointment,
  anOutOfOffice,
  anOverride,
  aPolicy,
  aPresenceInput,
  floatingDate,
  utc,
} from '../support/builders.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T0 = utc('2026-10-30T00:00:00Z'); // the week holds the US autumn change (11-01)
// A horizon covering every generated input: nothing happens before FROM or after TO.
const FROM = T0 - 3 * DAY;
const TO = T0 + 12 * DAY;
const SECRET = 'SECRET subject';

// Quarter-hour grid so that starts and ends often coincide (back-to-back, shared boundaries).
const instant = fc.integer({ min: 0, max: 7 * 24 * 4 }).map((q) => T0 + q * 15 * MINUTE);

/** True one time in eight. */
const rarely = fc.integer({ min: 0, max: 7 }).map((n) => n === 0);

const timed = fc
  .record({
    start: instant,
    quarters: fc.integer({ min: 0, max: 16 }),
    showAs: fc.constantFrom('free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown' as const),
    isCancelled: rarely,
    isDeclined: rarely,
    sensitivity: fc.constantFrom('normal', 'normal', 'private', 'personal', 'confidential' as const),
    subject: fc.constantFrom('A', 'B', 'C'),
  })
  .map(({ start, quarters, sensitivity, subject, ...rest }) =>
    anAppointment({
      ...rest,
      start,
      end: start + quarters * 15 * MINUTE,
      sensitivity,
      subject: sensitivity === 'normal' ? subject : SECRET,
    }),
  );

const allDay = fc
  .record({
    day: fc.integer({ min: 0, max: 6 }),
    days: fc.integer({ min: 1, max: 2 }),
    showAs: fc.constantFrom('busy', 'oof' as const),
  })
  .map(({ day, days, showAs }) =>
    anAppointment({
      isAllDay: true,
      start: floatingDate('2026-10-30') + day * DAY,
      end: floatingDate('2026-10-30') + (day + days) * DAY,
      showAs,
      subject: 'All day',
    }),
  );

const input: fc.Arbitrary<PresenceInput> = fc
  .record({
    appointments: fc.array(fc.oneof({ weight: 6, arbitrary: timed }, { weight: 1, arbitrary: allDay }), {
      maxLength: 25,
    }),
    outOfOffice: fc.oneof(
      fc.constant(anOutOfOffice({ status: 'disabled', internalReplyHtml: '<p>Away</p>' })),
      fc.constant(anOutOfOffice({ status: 'enabled', internalReplyHtml: '<p>Away</p>' })),
      fc
        .tuple(instant, instant)
        .map(([a, b]) => anOutOfOffice({ status: 'scheduled', start: Math.min(a, b), end: Math.max(a, b) })),
    ),
    mailboxTimeZone: fc.constantFrom(
      'W. Europe Standard Time',
      'Eastern Standard Time',
      'Tokyo Standard Time',
      'Nowhere',
    ),
    override: fc.option(
      fc
        .record({
          availability: fc.constantFrom('Available', 'Meeting', 'OutOfOffice' as const),
          setAt: instant,
        })
        .map((o) => anOverride(o)),
      { freq: 3 },
    ),
    policy: fc
      .record({ tentativeAs: fc.constantFrom('Meeting', 'Available' as const), shareSubjects: fc.boolean() })
      .map((p) => aPolicy(p)),
  })
  .map((fields) => aPresenceInput(fields));

const anyInstant = fc.integer({ min: FROM, max: TO });

/** SPEC §4 until: the next transition that changes availability, greeting or who decides (calendar, override). */
function stretchEnd(transitions: readonly Transition[], t: Instant, state: PresenceState): Instant | null {
  const ends = (x: PresenceState) =>
    x.availability !== state.availability || x.greeting !== state.greeting || x.source !== state.source;
  return transitions.find((x) => x.at > t && ends(x.state))?.at ?? null;
}

describe('§3 invariants (property-based)', () => {
  it('the state is constant between consecutive transitions', () => {
    fc.assert(
      fc.property(input, fc.array(anyInstant, { minLength: 1, maxLength: 20 }), (i, probes) => {
        const calendar = prepareCalendar(i);
        const transitions = transitionsBetween(calendar, FROM, TO);
        for (const t of probes) {
          const last = transitions.findLast((x) => x.at <= t);
          const expected = last === undefined ? stateAt(calendar, FROM) : last.state;
          assert.ok(sameState(stateAt(calendar, t), expected), `at ${new Date(t).toISOString()}`);
        }
        for (const [k, x] of transitions.entries()) {
          const next = transitions[k + 1];
          if (next !== undefined) assert.ok(sameState(stateAt(calendar, next.at - 1), x.state));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no two consecutive transitions carry the same state, and each is the state at its instant', () => {
    fc.assert(
      fc.property(input, (i) => {
        const calendar = prepareCalendar(i);
        const transitions = transitionsBetween(calendar, FROM, TO);
        let previous = stateAt(calendar, FROM);
        for (const x of transitions) {
          assert.ok(!sameState(previous, x.state), `repeated at ${new Date(x.at).toISOString()}`);
          assert.deepEqual(x.state, stateAt(calendar, x.at));
          previous = x.state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('until is the end of the stretch of one availability (null when it never ends)', () => {
    fc.assert(
      fc.property(input, fc.array(anyInstant, { minLength: 1, maxLength: 20 }), (i, probes) => {
        const calendar = prepareCalendar(i);
        const transitions = transitionsBetween(calendar, FROM, TO);
        for (const t of [...probes, ...transitions.map((x) => x.at)]) {
          const state = stateAt(calendar, t);
          assert.equal(state.until, stretchEnd(transitions, t, state), `at ${new Date(t).toISOString()}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('inside a stretch a transition changes only the note', () => {
    fc.assert(
      fc.property(input, (i) => {
        const calendar = prepareCalendar(i);
        let previous = stateAt(calendar, FROM);
        for (const x of transitionsBetween(calendar, FROM, TO)) {
          if (previous.until !== null && x.at < previous.until) {
            assert.deepEqual(visible({ ...x.state, note: null }), visible({ ...previous, note: null }));
          }
          previous = x.state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the next change is the next transition (null when there is none)', () => {
    fc.assert(
      fc.property(input, fc.array(anyInstant, { minLength: 1, maxLength: 20 }), (i, probes) => {
        const calendar = prepareCalendar(i);
        const transitions = transitionsBetween(calendar, FROM, TO);
        for (const t of [...probes, ...transitions.map((x) => x.at)]) {
          const next = transitions.find((x) => x.at > t)?.at ?? null;
          assert.equal(nextChangeAfter(calendar, t), next, `at ${new Date(t).toISOString()}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a window split in two lists the same transitions as the whole', () => {
    fc.assert(
      fc.property(input, anyInstant, (i, middle) => {
        const calendar = prepareCalendar(i);
        assert.deepEqual(
          [...transitionsBetween(calendar, FROM, middle), ...transitionsBetween(calendar, middle, TO)],
          transitionsBetween(calendar, FROM, TO),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with a direct reading of SPEC §3 at any instant', () => {
    fc.assert(
      fc.property(input, fc.array(anyInstant, { minLength: 1, maxLength: 20 }), (i, probes) => {
        const calendar = prepareCalendar(i);
        for (const t of probes) assert.deepEqual(visible(stateAt(calendar, t)), visible(reference(i, t)));
      }),
      { numRuns: 300 },
    );
  });

  it('never shows the subject of a private, personal or confidential appointment', () => {
    fc.assert(
      fc.property(input, (i) => {
        const calendar = prepareCalendar(i);
        const states = [
          stateAt(calendar, FROM),
          ...transitionsBetween(calendar, FROM, TO).map((x) => x.state),
        ];
        assert.ok(!JSON.stringify(states).includes(SECRET));
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order appointments arrive in', () => {
    fc.assert(
      fc.property(input, (i) => {
        const reversed = { ...i, appointments: [...i.appointments].reverse() };
        assert.deepEqual(
          transitionsBetween(prepareCalendar(reversed), FROM, TO),
          transitionsBetween(prepareCalendar(i), FROM, TO),
        );
      }),
      { numRuns: 200 },
    );
  });
});

type Visible = Omit<PresenceState, 'until' | 'reason'>;

function visible(state: Visible): Visible {
  const { availability, greeting, note, absence, source } = state;
  return { availability, greeting, note, absence, source };
}

/**
 * SPEC §3 read word by word, with no precomputation: the oracle for the engine. Out-of-office
 * from the calendar returns at the end of its stretch (SPEC §3: an inner boundary changes only
 * the note): the first instant after t, among all the calendar's, that is not out-of-office.
 */
function reference(i: PresenceInput, t: Instant): Visible {
  const state = decided(i, t);
  if (state.absence === null || state.source !== 'calendar') return state;
  const instants = i.appointments.flatMap((a) => [a.start, a.end, ...(a.isAllDay ? placedDay(i, a) : [])]);
  if (i.outOfOffice.status === 'scheduled') instants.push(i.outOfOffice.start, i.outOfOffice.end);
  const end = instants
    .filter((s) => s > t)
    .sort((x, y) => x - y)
    .find((s) => decided({ ...i, override: null }, s).availability !== 'OutOfOffice');
  return { ...state, absence: { ...state.absence, returnsAt: end ?? null } };
}

function placedDay(i: PresenceInput, a: Appointment): Instant[] {
  const zone = toIanaZone(i.mailboxTimeZone) ?? 'UTC';
  return [floatingToInstant(a.start, zone), floatingToInstant(a.end, zone)];
}

function decided(i: PresenceInput, t: Instant): Visible {
  const zone = toIanaZone(i.mailboxTimeZone) ?? 'UTC';
  const message = i.outOfOffice.internalReplyHtml === null ? null : 'Away';
  const counts = (a: Appointment): 2 | 3 | null => {
    if (a.isCancelled || a.isDeclined) return null;
    if (a.showAs === 'oof') return 2;
    if (a.showAs === 'busy' || (a.showAs === 'tentative' && i.policy.tentativeAs === 'Meeting')) return 3;
    return null;
  };
  const placed = i.appointments.flatMap((a) => {
    const rule = counts(a);
    if (rule === null) return [];
    const start = a.isAllDay ? floatingToInstant(a.start, zone) : a.start;
    const end = a.isAllDay ? floatingToInstant(a.end, zone) : a.end;
    // An empty interval covers no instant, so it never counts (nor ends an override).
    return end > start ? [{ a, rule, start, end }] : [];
  });
  const oof = i.outOfOffice;
  if (i.override !== null && t >= i.override.setAt) {
    const starts = placed.map((p) => p.start);
    if (oof.status === 'scheduled' && oof.start < oof.end) starts.push(oof.start, oof.end);
    const later = starts.filter((s) => s > (i.override?.setAt ?? 0));
    const b = later.length === 0 ? null : Math.min(...later);
    if (b === null || t < b) {
      const away = i.override.availability === 'OutOfOffice';
      return {
        availability: i.override.availability,
        greeting: away ? 'absence' : 'standard',
        note: null,
        absence: away ? { message, returnsAt: b } : null,
        source: 'override',
      };
    }
  }
  if (oof.status === 'enabled' || (oof.status === 'scheduled' && oof.start <= t && t < oof.end)) {
    return {
      availability: 'OutOfOffice',
      greeting: 'absence',
      note: null,
      absence: { message, returnsAt: oof.status === 'scheduled' ? oof.end : null },
      source: 'calendar',
    };
  }
  const covering = placed
    .filter((p) => p.start <= t && t < p.end)
    .sort((x, y) => x.rule - y.rule || y.start - x.start || y.end - x.end || (x.a.id > y.a.id ? -1 : 1));
  const decider = covering[0];
  if (decider === undefined)
    return { availability: 'Available', greeting: 'standard', note: null, absence: null, source: 'calendar' };
  const note = i.policy.shareSubjects && decider.a.sensitivity === 'normal' ? decider.a.subject : null;
  if (decider.rule === 2) {
    return {
      availability: 'OutOfOffice',
      greeting: 'absence',
      note,
      absence: { message, returnsAt: decider.end },
      source: 'calendar',
    };
  }
  return { availability: 'Meeting', greeting: 'standard', note, absence: null, source: 'calendar' };
}
