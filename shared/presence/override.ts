import type { Instant, Override, PresenceState } from './model.ts';
import type { PreparedCalendar } from './prepared-calendar.ts';
import { firstAfter } from './search.ts';
import type { CountedAppointment, RuleOne } from './timeline.ts';

/**
 * SPEC §3 override end `b` for an override set at `setAt`: the first presence-relevant event
 * start strictly after it (start of an appointment counting under rules 2–3, or start or end of
 * scheduled out-of-office), or null when there is none.
 */
export function overrideEndsAt(calendar: PreparedCalendar, setAt: Instant): Instant | null {
  return firstAfter(calendar.overrideEnds, setAt);
}

/** Ascending, unique instants at which an override ends. */
export function presenceRelevantStarts(
  appointments: readonly CountedAppointment[],
  ruleOne: RuleOne,
): Instant[] {
  const all = appointments.map((a) => a.start);
  if (ruleOne.kind === 'scheduled') all.push(ruleOne.start, ruleOne.end);
  all.sort((x, y) => x - y);
  return all.filter((x, i) => i === 0 || all[i - 1] !== x);
}

/** The state an override shows while it holds; `end` is when the calendar takes over again. */
export function overrideState(
  override: Override,
  end: Instant | null,
  message: string | null,
): PresenceState {
  const away = override.availability === 'OutOfOffice';
  return {
    availability: override.availability,
    greeting: away ? 'absence' : 'standard',
    note: null,
    absence: away ? { message, returnsAt: end } : null,
    until: end,
    source: 'override',
    reason: { kind: 'override', setAt: override.setAt },
  };
}
