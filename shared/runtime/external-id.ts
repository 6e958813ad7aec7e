import { z } from 'zod';

/**
 * Ids that arrive from outside (a route's path, a notification's JSON or XML, the PHONE-LiNK
 * directory) before anything is looked up by them. A lone surrogate is no text any of our
 * stores or peers accept, so such an id is refused where it arrives (400, or a skipped entry),
 * never passed on to fail deeper as a 5xx.
 */
export const MAX_EXTERNAL_ID_LENGTH = 1_024;

/** In a `u` regular expression a surrogate pair is one code point: only a lone surrogate is `Cs`. */
const LONE_SURROGATE = /\p{Cs}/u;

export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

export function isExternalId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_EXTERNAL_ID_LENGTH && isWellFormedText(value);
}

/** The same rule as a schema part, for ids inside parsed bodies. */
export const externalId = z
  .string()
  .min(1)
  .max(MAX_EXTERNAL_ID_LENGTH)
  .refine(isWellFormedText, 'holds a lone surrogate');

/** Text from outside stored as it is (names, clientStates): well-formed, of any permitted length. */
export const wellFormedText = z.string().refine(isWellFormedText, 'holds a lone surrogate');
