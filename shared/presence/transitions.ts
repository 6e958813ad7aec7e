import { calendarStateAt, stateAt } from './evaluate.ts';
import type { Instant, Transition } from './model.ts';
import type { PreparedCalendar } from './prepared-calendar.ts';
import { firstAfter, upperBound } from './search.ts';

/**
 * Every instant `at` with from < at <= to at which the state changes, in order, each with the
 * state that begins there. An override hides the calendar's changes while it holds and adds its
 * own start and end.
 */
export function transitionsBetween(
  calendar: PreparedCalendar,
  from: Instant,
  to: Instant,
): readonly Transition[] {
  const out: Transition[] = [];
  if (!(to > from)) return out;
  const window = calendar.overrideWindow;
  if (window === null) {
    pushCalendarChanges(calendar, from, to, out);
    return out;
  }
  // Calendar changes before the override, its start, its end, then calendar changes after it.
  pushCalendarChanges(calendar, from, to, out, window.start);
  if (from < window.start && window.start <= to) out.push({ at: window.start, state: window.state });
  if (window.end !== null) {
    if (from < window.end && window.end <= to)
      out.push({ at: window.end, state: stateAt(calendar, window.end) });
    pushCalendarChanges(calendar, Math.max(from, window.end), to, out);
  }
  return out;
}

/** Calendar changes in (from, to], and before `before` when given. */
function pushCalendarChanges(
  calendar: PreparedCalendar,
  from: Instant,
  to: Instant,
  out: Transition[],
  before: Instant = Number.POSITIVE_INFINITY,
): void {
  const { changes, changeSegments } = calendar.timeline;
  for (let i = upperBound(changes, from); i < changes.length; i++) {
    const at = changes[i] as Instant;
    if (at > to || at >= before) break;
    out.push({ at, state: calendarStateAt(calendar, changeSegments[i] as number, at) });
  }
}

/**
 * The first instant after `t` at which the state changes, or null: the next push's instant.
 * Earlier than the state's `until` where a stretch changes only its note on the way.
 */
export function nextChangeAfter(calendar: PreparedCalendar, t: Instant): Instant | null {
  const window = calendar.overrideWindow;
  const calendarChange = (after: Instant) => firstAfter(calendar.timeline.changes, after);
  if (window === null) return calendarChange(t);
  if (t < window.start) {
    const change = calendarChange(t);
    return change !== null && change < window.start ? change : window.start;
  }
  if (window.end === null) return null;
  return t < window.end ? window.end : calendarChange(t);
}
