import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneLogLine } from '../../shared/log/log-line.ts';

/** Issue 15.7: what a foreign value may hold, and how the log shows it. */
const cases = [
  { what: 'a line feed', input: 'Ann\nConnected', shown: 'Ann\\nConnected' },
  { what: 'a carriage return and line feed', input: 'Ann\r\nConnected', shown: 'Ann\\r\\nConnected' },
  { what: 'a lone carriage return', input: 'Ann\rConnected', shown: 'Ann\\rConnected' },
  { what: 'a tab', input: 'Ann\tSmith', shown: 'Ann\\tSmith' },
  { what: 'NUL and a terminal escape', input: 'Ann\u0000\u001b[2J', shown: 'Ann\\u0000\\u001b[2J' },
  { what: 'DEL', input: 'Ann\u007f', shown: 'Ann\\u007f' },
  { what: 'NEL (C1)', input: 'Ann\u0085Connected', shown: 'Ann\\u0085Connected' },
  { what: 'CSI (C1)', input: 'Ann\u009b2J', shown: 'Ann\\u009b2J' },
  { what: 'the line separator', input: 'Ann\u2028Connected', shown: 'Ann\\u2028Connected' },
  { what: 'the paragraph separator', input: 'Ann\u2029Connected', shown: 'Ann\\u2029Connected' },
  { what: 'a right-to-left override', input: 'Eve \u202eliated\u202c', shown: 'Eve \\u202eliated\\u202c' },
  { what: 'a left-to-right embedding', input: '\u202aann@contoso.com', shown: '\\u202aann@contoso.com' },
  { what: 'bidi isolates', input: '\u2066x\u2067y\u2068z\u2069', shown: '\\u2066x\\u2067y\\u2068z\\u2069' },
  { what: 'a lone surrogate in an id', input: 'id 20\ud800', shown: 'id 20\\ud800' },
] as const;

const kept = [
  { what: 'plain text', input: 'Connected to Microsoft Graph (tenant 5f0c7d1e)' },
  { what: 'accents and other scripts', input: 'Zoë Łukasiewicz, 山田 太郎, دانا' },
  { what: 'an emoji (a surrogate pair)', input: 'Lunch 🍕 with Ann' },
  { what: 'right-to-left marks in a Hebrew name', input: 'שרה\u200f כהן' },
  { what: 'a backslash already in the text', input: 'CONTOSO\\svc-presence' },
] as const;

describe('§6 log lines hold foreign values on one line (issue 15.7)', () => {
  for (const c of cases) {
    it(`writes ${c.what} as an escape`, () => assert.equal(oneLogLine(c.input), c.shown));
  }
  for (const c of kept) {
    it(`keeps ${c.what} as it is`, () => assert.equal(oneLogLine(c.input), c.input));
  }
  it('changes nothing the second time', () => {
    for (const c of cases) assert.equal(oneLogLine(oneLogLine(c.input)), c.shown);
  });
});
