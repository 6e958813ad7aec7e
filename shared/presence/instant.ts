import type { Instant } from './model.ts';

/** SPEC §4: all instants on the wire are UTC ISO 8601 with `Z`, to the second. */
export function toIsoSeconds(instant: Instant): string {
  return `${new Date(instant).toISOString().slice(0, 19)}Z`;
}
