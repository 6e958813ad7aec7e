/**
 * One printable line from text that interpolates foreign values (names, subjects, addresses and
 * ids from PHONE-LiNK or Exchange). Line breaks (CR, LF, NEL, U+2028/2029), the other C0 and C1
 * controls and the bidi embeddings, overrides and isolates are written as escapes, so a value
 * can neither start a forged line of its own nor turn the rest of its line around on screen.
 * A lone surrogate is escaped too: no store or exporter takes it. Idempotent (escapes are plain).
 */
const UNSAFE = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function oneLogLine(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
