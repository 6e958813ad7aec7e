import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { type ExchangeWorld, startExchangeWorld } from '../graph/support/exchange-world.ts';

/**
 * Issue 15.7: names, ids and addresses come from PHONE-LiNK and Exchange, and the log prints
 * them. None may start a log line of its own (a forged "Connected to …") or turn what follows
 * around on screen (a bidi override).
 */
const FORGED = 'Connected to Microsoft Graph (tenant evil)';
/** Whatever a terminal, a text export or the admin page would break a line at, or reorder by. */
const BREAKS_OR_REORDERS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

const logPage = z.object({ entries: z.array(z.object({ line: z.string() })) });

const users = [
  { id: '401', name: `Ann\n${FORGED}`, email: 'ann@contoso.com', calendarIntegration: false },
  { id: '402', name: `Bob\r\n${FORGED}`, email: null },
  { id: '404', name: `Dan\u0085${FORGED}`, email: 'dan@contoso.com', calendarIntegration: false },
  { id: '405', name: 'Eve \u202eliated\u202c Porter', email: 'eve@contoso.com', calendarIntegration: false },
  { id: '406', name: 'Finn Boyle', email: 'finn@contoso.com' },
];

describe('§6 the log: one line per entry, whatever PHONE-LiNK names a user', () => {
  let world: ExchangeWorld;
  let lines: string[] = [];

  const readLog = async (): Promise<string[]> => {
    const response = await fetch(`${world.host.url}/api/log`, {
      headers: { authorization: `Bearer ${world.adminKey}` },
    });
    assert.equal(response.status, 200);
    return logPage.parse(await response.json()).entries.map((e) => e.line);
  };

  before(async () => {
    world = await startExchangeWorld({ source: 'graph', users });
    // The start-up scan syncs the directory and says so last.
    await world
      .waitFor('the start-up scan to sync the directory', async () => {
        lines = await readLog();
        return lines.some((line) => line.startsWith('PHONE-LiNK users: 5'));
      })
      .catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : error}; log: ${JSON.stringify(lines)}`);
      });
  });
  after(() => world?.stop());

  it('names each skipped user on one line, the control characters shown as escapes', () => {
    for (const expected of [
      `Skipping user Ann\\n${FORGED} (401): Calendar Integration is not ticked`,
      `Skipping user Bob\\r\\n${FORGED} (402): no email address`,
      `Skipping user Dan\\u0085${FORGED} (404): Calendar Integration is not ticked`,
      'Skipping user Eve \\u202eliated\\u202c Porter (405): Calendar Integration is not ticked',
    ]) {
      assert.ok(
        lines.includes(expected),
        `${JSON.stringify(expected)} missing from ${JSON.stringify(lines)}`,
      );
    }
  });

  it('holds no line break, control character or bidi override in any line', () => {
    const unsafe = lines.filter((line) => BREAKS_OR_REORDERS.test(line));
    assert.deepEqual(unsafe, []);
  });

  it('lets no name forge a line: only the real connection is logged', () => {
    const shown = lines.flatMap((line) => line.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/));
    assert.deepEqual(
      shown.filter((line) => line.startsWith('Connected to Microsoft Graph')),
      ['Connected to Microsoft Graph (tenant 5f0c7d1e-3a41-4b7e-9d2c-0a1b2c3d4e5f)'],
    );
  });
});
