import { toIsoSeconds } from './instant.ts';
import type { Availability, Greeting, PresenceState } from './model.ts';

/** The wire body of SPEC §4 without `sequence`. */
export interface PresenceBody {
  readonly availability: Availability;
  readonly greeting: Greeting;
  readonly until: string | null;
  readonly note: string | null;
  readonly absence: { readonly message: string | null; readonly returnsAt: string | null } | null;
  readonly source: 'calendar' | 'override';
}

/** The SPEC §4 body (without `sequence`) for a computed state. */
export function toPresenceBody(state: PresenceState): PresenceBody {
  return {
    availability: state.availability,
    greeting: state.greeting,
    until: state.until === null ? null : toIsoSeconds(state.until),
    note: state.note,
    absence:
      state.absence === null
        ? null
        : {
            message: state.absence.message,
            returnsAt: state.absence.returnsAt === null ? null : toIsoSeconds(state.absence.returnsAt),
          },
    source: state.source,
  };
}

/** SPEC §3: a push is due only when something but `sequence` differs. */
export function sameBody(a: PresenceBody | null, b: PresenceBody | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.availability === b.availability &&
    a.greeting === b.greeting &&
    a.until === b.until &&
    a.note === b.note &&
    a.source === b.source &&
    (a.absence === null || b.absence === null
      ? a.absence === b.absence
      : a.absence.message === b.absence.message && a.absence.returnsAt === b.absence.returnsAt)
  );
}
