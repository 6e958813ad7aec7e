import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MailboxSide } from '../../shared/calendar/hybrid/mailbox-routes.ts';
import {
  decideRoutes,
  type SideAnswer,
  sideHealth,
  triedOrder,
} from '../../shared/calendar/hybrid/route-decisions.ts';
import { AppError, fail, ok } from '../../shared/errors.ts';

const NOW = Date.UTC(2026, 11, 4, 9, 0, 0);
const ann = { userId: '201', email: 'ann@contoso.com' };
const answer = (side: MailboxSide, outcome: SideAnswer['outcome']): SideAnswer => ({ side, outcome });

describe('§1 hybrid: which side holds a mailbox', () => {
  it('asks Graph first, unless the mailbox is known to be on the Exchange Server', () => {
    assert.deepEqual(triedOrder(undefined), ['graph', 'ews']);
    assert.deepEqual(triedOrder('none'), ['graph', 'ews']);
    assert.deepEqual(triedOrder('graph'), ['graph', 'ews']);
    assert.deepEqual(triedOrder('ews'), ['ews', 'graph']);
  });

  const cases: readonly {
    readonly name: string;
    readonly previous: MailboxSide | 'none' | null;
    readonly answers: readonly SideAnswer[];
    readonly route: MailboxSide | 'none' | null;
    readonly moved: boolean;
    readonly line: string | null;
  }[] = [
    {
      name: 'routes a mailbox Graph answers for to Exchange Online',
      previous: null,
      answers: [answer('graph', 'ok')],
      route: 'graph',
      moved: false,
      line: null,
    },
    {
      name: 'routes a mailbox Graph refuses and EWS answers for to the Exchange Server',
      previous: null,
      answers: [answer('graph', 'refused'), answer('ews', 'ok')],
      route: 'ews',
      moved: false,
      line: null,
    },
    {
      name: 'follows a mailbox moved to Exchange Online',
      previous: 'ews',
      answers: [answer('ews', 'refused'), answer('graph', 'ok')],
      route: 'graph',
      moved: true,
      line: 'ann@contoso.com moved to Exchange Online',
    },
    {
      name: 'follows a mailbox moved back to the Exchange Server',
      previous: 'graph',
      answers: [answer('graph', 'refused'), answer('ews', 'ok')],
      route: 'ews',
      moved: true,
      line: 'ann@contoso.com moved to Exchange Server',
    },
    {
      name: 'flags a mailbox both sides refuse',
      previous: null,
      answers: [answer('graph', 'refused'), answer('ews', 'refused')],
      route: 'none',
      moved: false,
      line: 'Neither Exchange Online nor the Exchange Server holds a mailbox for ann@contoso.com',
    },
    {
      name: 'keeps the route when the other side is down (an outage proves nothing)',
      previous: 'ews',
      answers: [answer('ews', 'unknown')],
      route: null,
      moved: false,
      line: null,
    },
    {
      name: 'keeps the route when one side refuses and the other is down',
      previous: 'graph',
      answers: [answer('graph', 'refused'), answer('ews', 'unknown')],
      route: null,
      moved: false,
      line: null,
    },
    {
      name: 'writes nothing for a route that still holds',
      previous: 'graph',
      answers: [answer('graph', 'ok')],
      route: null,
      moved: false,
      line: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decided = decideRoutes([{ mailbox: ann, previous: c.previous, answers: c.answers }], NOW);
      assert.deepEqual(
        decided.changed,
        c.route === null ? [] : [{ userId: '201', side: c.route, email: ann.email, checkedAt: NOW }],
      );
      assert.deepEqual(decided.moved, c.moved ? ['201'] : []);
      assert.deepEqual(
        decided.logLines.map((l) => l.text),
        c.line === null ? [] : [c.line],
      );
    });
  }
});

describe('§5 hybrid status: each side on its own', () => {
  it('names an outage, not a refusal', () => {
    const refused = fail(new AppError('exchange.mailbox_not_found', 'not here'));
    const down = fail(new AppError('exchange.unreachable', 'EWS at mail.contoso.com is unreachable'));
    assert.deepEqual(sideHealth([refused, ok({})]), { ok: true });
    assert.deepEqual(sideHealth([refused]), null);
    assert.deepEqual(sideHealth([ok({}), down]), {
      ok: false,
      cause: 'EWS at mail.contoso.com is unreachable',
    });
  });
});
