import type { Absence, PresenceState } from './model.ts';

type Comparable = Pick<PresenceState, 'availability' | 'greeting' | 'note' | 'absence' | 'source'>;

/**
 * Whether two states show the same thing (availability, greeting, note, absence, source).
 * `until` and `reason` are deliberately left out: a new deciding appointment with the same
 * subject is no change anyone sees.
 */
export function sameState(a: Comparable, b: Comparable): boolean {
  return (
    a.availability === b.availability &&
    a.greeting === b.greeting &&
    a.note === b.note &&
    a.source === b.source &&
    sameAbsence(a.absence, b.absence)
  );
}

function sameAbsence(a: Absence | null, b: Absence | null): boolean {
  if (a === null || b === null) return a === b;
  return a.message === b.message && a.returnsAt === b.returnsAt;
}
