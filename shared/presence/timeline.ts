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
 * visible state changes (sameState false), `changeSegments` the segment beginning at each.
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
  const cores = sweep(appointments, ruleOne, message, boundaries);

  const changes: Instant[] = [];
  const changeSegments: number[] = [];
  for (let k = 1; k < cores.length; k++) {
    if (!sameState(cores[k - 1] as Core, cores[k] as Core)) {
      changes.push(boundaries[k - 1] as Instant);
      changeSegments.push(k);
    }
  }

  // until of a segment = the next change after it; consecutive segments sharing a core share a state.
  const states: PresenceState[] = new Array(cores.length);
  let next = changes.length;
  let previous: PresenceState | null = null;
  let previousCore: Core | null = null;
  for (let k = cores.length - 1; k >= 0; k--) {
    while (next > 0 && (changeSegments[next - 1] as number) > k) next--;
    const until = next < changes.length ? (changes[next] as Instant) : null;
    const core = cores[k] as Core;
    const state: PresenceState =
      previous !== null && previousCore === core && previous.until === until ? previous : { ...core, until };
    states[k] = state;
    previous = state;
    previousCore = core;
  }
  return { boundaries, states, changes, changeSegments };
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
