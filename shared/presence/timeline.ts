import type { Absence, Instant, PresenceState, Reason } from './model.ts';
import { sameState } from './same-state.ts';

/** An appointment that counts under rule 2 or 3, placed on the UTC time line. */
export interface CountedAppointment {
  readonly id: string;
  readonly start: Instant;
  readonly end: Instant;
  readonly isAllDay: boolean;
  readonly rule: 2 | 3;
  /** The subject when it may be shown, else null (private/personal/confidential, SHARE_SUBJECTS=false). */
  readonly note: string | null;
}

/** Rule 1 as the settings hold it: never, always, or within [start, end). */
export type RuleOne =
  | { readonly kind: 'none' }
  | { readonly kind: 'enabled' }
  | { readonly kind: 'scheduled'; readonly start: Instant; readonly end: Instant };

/**
 * The calendar state (no override) as constant segments. `boundaries` ascending and unique;
 * segment k covers [boundaries[k-1], boundaries[k]) (open at both ends of the line), so the
 * state at t is `states[upperBound(boundaries, t)]`. `changes` are the boundaries where the
 * visible state changes (sameState false), `changeSegments` the segment beginning at each. A
 * state's `until` is the end of its stretch (the next change of availability or greeting), so
 * inside a stretch a change may come before `until`: one of the note only.
 */
export interface Timeline {
  readonly boundaries: readonly Instant[];
  readonly states: readonly PresenceState[];
  readonly changes: readonly Instant[];
  readonly changeSegments: readonly number[];
}

type Core = Omit<PresenceState, 'until'>;

const FREE: Core = {
  availability: 'Available',
  greeting: 'standard',
  note: null,
  absence: null,
  source: 'calendar',
  reason: { kind: 'free' },
};

/** Sorts by start, then end, then id, so that the sweep and its ties are deterministic. */
export function byStart(a: CountedAppointment, b: CountedAppointment): number {
  return a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** SPEC §3: the highest rule decides; among equals the latest start, then the latest end. */
function decides(a: CountedAppointment, b: CountedAppointment): boolean {
  if (a.rule !== b.rule) return a.rule < b.rule;
  return byStart(a, b) > 0;
}

export function buildTimeline(
  appointments: readonly CountedAppointment[],
  ruleOne: RuleOne,
  message: string | null,
): Timeline {
  const boundaries = collectBoundaries(appointments, ruleOne);
  const swept = sweep(appointments, ruleOne, message, boundaries);
  const ends = stretchEnds(swept, boundaries);
  const cores = returningAtStretchEnds(swept, ends);

  const changes: Instant[] = [];
  const changeSegments: number[] = [];
  for (let k = 1; k < cores.length; k++) {
    if (!sameState(cores[k - 1] as Core, cores[k] as Core)) {
      changes.push(boundaries[k - 1] as Instant);
      changeSegments.push(k);
    }
  }

  // Consecutive segments sharing a core and a stretch share a state.
  const states: PresenceState[] = new Array(cores.length);
  let previous: PresenceState | null = null;
  for (let k = 0; k < cores.length; k++) {
    const core = cores[k] as Core;
    const until = ends[k] ?? null;
    const state: PresenceState =
      previous !== null && cores[k - 1] === core && previous.until === until ? previous : { ...core, until };
    states[k] = state;
    previous = state;
  }
  return { boundaries, states, changes, changeSegments };
}

/**
 * SPEC §3/§4 `until`: where the stretch of one availability and greeting that segment k belongs
 * to ends (null: it never does). Back-to-back and overlapping appointments are one stretch, so
 * callers hear the true end at its start, not the end of the first appointment.
 */
function stretchEnds(cores: readonly Core[], boundaries: readonly Instant[]): (Instant | null)[] {
  const ends: (Instant | null)[] = new Array(cores.length);
  let end: Instant | null = null;
  for (let k = cores.length - 1; k >= 0; k--) {
    const next = cores[k + 1];
    const core = cores[k] as Core;
    if (next !== undefined && (next.availability !== core.availability || next.greeting !== core.greeting)) {
      end = boundaries[k] as Instant;
    }
    ends[k] = end;
  }
  return ends;
}

/**
 * Absent for a stretch means back at its end: so an inner boundary of an out-of-office stretch
 * changes at most the note, as it does in a stretch of meetings.
 */
function returningAtStretchEnds(cores: readonly Core[], ends: readonly (Instant | null)[]): Core[] {
  const out: Core[] = new Array(cores.length);
  for (let k = 0; k < cores.length; k++) {
    const core = cores[k] as Core;
    const end = ends[k] ?? null;
    if (core.absence === null || core.absence.returnsAt === end) out[k] = core;
    else if (k > 0 && cores[k - 1] === core && ends[k - 1] === end) out[k] = out[k - 1] as Core;
    else out[k] = { ...core, absence: { message: core.absence.message, returnsAt: end } };
  }
  return out;
}

function collectBoundaries(appointments: readonly CountedAppointment[], ruleOne: RuleOne): Instant[] {
  const all: Instant[] = [];
  for (const a of appointments) all.push(a.start, a.end);
  if (ruleOne.kind === 'scheduled') all.push(ruleOne.start, ruleOne.end);
  all.sort((x, y) => x - y);
  const unique: Instant[] = [];
  for (const x of all) if (unique.length === 0 || unique[unique.length - 1] !== x) unique.push(x);
  return unique;
}

/** One pass over the boundaries keeping the appointments that cover each segment. */
function sweep(
  appointments: readonly CountedAppointment[],
  ruleOne: RuleOne,
  message: string | null,
  boundaries: readonly Instant[],
): Core[] {
  const ruleOneCore: Core | null =
    ruleOne.kind === 'none'
      ? null
      : {
          availability: 'OutOfOffice',
          greeting: 'absence',
          note: null,
          absence: { message, returnsAt: ruleOne.kind === 'scheduled' ? ruleOne.end : null },
          source: 'calendar',
          reason: { kind: 'outOfOffice', status: ruleOne.kind },
        };
  const appointmentCores = new Map<CountedAppointment, Core>();
  const coreOf = (a: CountedAppointment): Core => {
    let core = appointmentCores.get(a);
    if (core === undefined) {
      core = appointmentCore(a, message);
      appointmentCores.set(a, core);
    }
    return core;
  };

  const cores: Core[] = new Array(boundaries.length + 1);
  const active: CountedAppointment[] = [];
  let pending = 0;
  for (let k = 0; k <= boundaries.length; k++) {
    const from = k === 0 ? Number.NEGATIVE_INFINITY : (boundaries[k - 1] as Instant);
    while (pending < appointments.length && (appointments[pending] as CountedAppointment).start <= from) {
      active.push(appointments[pending] as CountedAppointment);
      pending++;
    }
    let kept = 0;
    let decider: CountedAppointment | null = null;
    for (const a of active) {
      if (a.end <= from) continue;
      active[kept++] = a;
      if (decider === null || decides(a, decider)) decider = a;
    }
    active.length = kept;

    const inRuleOne =
      ruleOne.kind === 'enabled' ||
      (ruleOne.kind === 'scheduled' && ruleOne.start <= from && from < ruleOne.end);
    cores[k] = inRuleOne && ruleOneCore !== null ? ruleOneCore : decider !== null ? coreOf(decider) : FREE;
  }
  return cores;
}

function appointmentCore(a: CountedAppointment, message: string | null): Core {
  const reason: Reason = { kind: 'appointment', appointmentId: a.id, rule: a.rule };
  if (a.rule === 2) {
    const absence: Absence = { message, returnsAt: a.end };
    return {
      availability: 'OutOfOffice',
      greeting: 'absence',
      note: a.note,
      absence,
      source: 'calendar',
      reason,
    };
  }
  return {
    availability: 'Meeting',
    greeting: 'standard',
    note: a.note,
    absence: null,
    source: 'calendar',
    reason,
  };
}
