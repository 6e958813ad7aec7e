import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type ExchangeSimulator,
  startExchangeSimulator,
} from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { graphSettingsFor } from '../../dev/exchange-sim/graph/graph-app-settings.ts';
import { trustLocalCa } from '../../dev/exchange-sim/trust.ts';
import { createServices } from '../../shared/app/services.ts';
import type { CalendarSource, Mailbox } from '../../shared/calendar/calendar-source.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';

const TENANT = '3c2b1a09-5555-4666-8777-888899990000';
const CLIENT = { clientId: 'd00dfeed-5555-4666-8777-888899990000', clientSecret: 'directory-test-secret' };

/** The PHONE-LiNK side of user i: every third address an alias, the rest primary addresses. */
function mailboxOf(i: number): Mailbox {
  return { userId: String(100 + i), email: i % 3 === 0 ? `u${i}@contoso.com` : `user${i}@contoso.com` };
}

describe('§14 the directory finds the user behind each PHONE-LiNK address', () => {
  let exchange: ExchangeSimulator;
  let source: CalendarSource;

  before(async () => {
    exchange = await startExchangeSimulator({ tenantId: TENANT, clients: [CLIENT] });
    trustLocalCa(exchange.caPem);
    for (let i = 0; i < 60; i += 1) {
      exchange.mailboxes.addUser({
        email: `user${i}@contoso.com`,
        ...(i % 3 === 0 ? { aliases: [`u${i}@contoso.com`] } : {}),
      });
    }
    source = createServices(
      loadSettings({ CALENDAR_SOURCE: 'graph', ...graphSettingsFor(exchange, CLIENT) }),
    ).calendarSource;
  });
  after(() => exchange.stop());

  const cases = [
    { name: 'a few addresses: one lookup each, in one $batch', count: 5, lookups: 5, batches: 1 },
    {
      name: 'many addresses: a page of the directory instead of 45 lookups',
      count: 45,
      lookups: 1,
      batches: 1,
    },
  ];
  for (const { name, count, lookups, batches } of cases) {
    it(`resolves ${name}`, async () => {
      const mailboxes = [
        ...Array.from({ length: count - 1 }, (_, i) => mailboxOf(i)),
        {
          userId: 'nobody',
          email: 'nobody@contoso.com',
        },
      ];
      exchange.resetCounters();
      const resolved = await source.resolveMailboxes?.(mailboxes);
      assert.ok(resolved);
      for (const mailbox of mailboxes.slice(0, -1)) {
        const answer = resolved.get(mailbox.userId);
        const expected = exchange.mailboxes.user(mailbox.email).id;
        assert.deepEqual(answer, { ok: true, value: expected }, mailbox.email);
      }
      assert.deepEqual(resolved.get('nobody'), { ok: true, value: null });
      assert.equal(exchange.operationCount('users'), lookups);
      assert.equal(exchange.requestCount('batch'), batches);
    });
  }
});
