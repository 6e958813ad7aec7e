import type { Instant, PresenceState } from './model.ts';
import type { PreparedCalendar } from './prepared-calendar.ts';
import { upperBound } from './search.ts';

/**
 * The user's state at `t` (SPEC §3): the override while it holds, else rules 1–4. `until` is the
 * next instant at which the state changes, or null. Allocation-free except before an override's
 * start, where `until` is the override's start.
 */
export function stateAt(calendar: PreparedCalendar, t: Instant): PresenceState {
  const window = calendar.overrideWindow;
  if (window !== null && t >= window.start && (window.end === null || t < window.end)) return window.state;
  return calendarStateAt(calendar, upperBound(calendar.timeline.boundaries, t), t);
}

/** The calendar state of segment `segment` seen from `t` (the segment containing it). */
export function calendarStateAt(calendar: PreparedCalendar, segment: number, t: Instant): PresenceState {
  const state = calendar.timeline.states[segment];
  if (state === undefined) throw new RangeError(`no segment ${segment}`);
  const window = calendar.overrideWindow;
  // Before an override begins, it is the next change.
  if (window !== null && t < window.start && (state.until === null || state.until > window.start)) {
    return { ...state, until: window.start };
  }
  return state;
}
