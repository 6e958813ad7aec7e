import type { Instant, Override, Policy, PresenceState } from './model.ts';
import type { CountedAppointment, RuleOne, Timeline } from './timeline.ts';

/** The override in force: its state holds for start <= t < end (end null: until cleared). */
export interface OverrideWindow {
  readonly start: Instant;
  readonly end: Instant | null;
  readonly state: PresenceState;
}

/** One user's calendar with all per-user work done once; evaluate with stateAt/transitionsBetween. */
export interface PreparedCalendar {
  /** The IANA zone all-day appointments were placed in ('UTC' when the mailbox zone is unknown). */
  readonly timeZone: string;
  /** False when the mailbox zone could not be resolved and UTC was used instead. */
  readonly timeZoneResolved: boolean;
  readonly override: Override | null;
  readonly policy: Policy;
  /** The appointments that count under rules 2–3, on the UTC line, sorted by start. */
  readonly appointments: readonly CountedAppointment[];
  /** The plain-text internal out-of-office reply, or null. */
  readonly outOfOfficeMessage: string | null;
  readonly ruleOne: RuleOne;
  /** Ascending instants that end an override (SPEC §3 "presence-relevant event starts"). */
  readonly overrideEnds: readonly Instant[];
  readonly overrideWindow: OverrideWindow | null;
  readonly timeline: Timeline;
}
