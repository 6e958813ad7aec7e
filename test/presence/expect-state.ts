import assert from 'node:assert/strict';
import { stateAt } from '../../shared/presence/evaluate.ts';
import type { Instant, PresenceInput, PresenceState } from '../../shared/presence/model.ts';
import { prepareCalendar } from '../../shared/presence/prepare.ts';
import { utc } from '../support/builders.ts';

/** What a push shows: the state without `reason`, instants as ISO text for readable failures. */
export interface Shown {
  availability: PresenceState['availability'];
  greeting: PresenceState['greeting'];
  note: string | null;
  absence: { message: string | null; returnsAt: string | null } | null;
  until: string | null;
  source: PresenceState['source'];
}

const iso = (instant: Instant | null): string | null =>
  instant === null ? null : new Date(instant).toISOString().replace('.000Z', 'Z');

export function shown(state: PresenceState): Shown {
  return {
    availability: state.availability,
    greeting: state.greeting,
    note: state.note,
    absence:
      state.absence === null
        ? null
        : { message: state.absence.message, returnsAt: iso(state.absence.returnsAt) },
    until: iso(state.until),
    source: state.source,
  };
}

export function available(until: string | null): Shown {
  return {
    availability: 'Available',
    greeting: 'standard',
    note: null,
    absence: null,
    until,
    source: 'calendar',
  };
}

export function meeting(note: string | null, until: string | null): Shown {
  return { availability: 'Meeting', greeting: 'standard', note, absence: null, until, source: 'calendar' };
}

export function away(
  note: string | null,
  absence: { message: string | null; returnsAt: string | null },
  until: string | null,
): Shown {
  return { availability: 'OutOfOffice', greeting: 'absence', note, absence, until, source: 'calendar' };
}

export interface Case {
  readonly name: string;
  readonly input: PresenceInput;
  /** ISO UTC instant. */
  readonly at: string;
  readonly expected: Shown;
}

/** Asserts what `input` shows at `at`. */
export function assertShows(input: PresenceInput, at: string, expected: Shown): void {
  assert.deepEqual(shown(stateAt(prepareCalendar(input), utc(at))), expected);
}
