import { toIsoSeconds } from '../presence/instant.ts';
import type { PresenceState } from '../presence/model.ts';
import type { PresenceBody } from '../storage/stores.ts';

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
