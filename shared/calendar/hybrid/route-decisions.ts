import type { Result } from '../../errors.ts';
import type { Instant } from '../../presence/model.ts';
import type { Mailbox } from '../calendar-source.ts';
import { type MailboxRoute, type MailboxSide, SIDE_NAMES } from './mailbox-routes.ts';

/** What one side said of one mailbox: it holds it, it refused it, or it could not tell (an outage). */
export interface SideAnswer {
  readonly side: MailboxSide;
  readonly outcome: 'ok' | 'refused' | 'unknown';
}

/** Graph decides first (SPEC §1 hybrid), unless the mailbox is known to be on the Exchange Server. */
export function triedOrder(route: MailboxSide | 'none' | undefined): readonly [MailboxSide, MailboxSide] {
  return route === 'ews' ? ['ews', 'graph'] : ['graph', 'ews'];
}

export interface RouteDecisions {
  /** Routes to keep: found for the first time, or different from the one kept. */
  readonly changed: readonly MailboxRoute[];
  /** Users whose mailbox is now on the other side (or found again): read in full there. */
  readonly moved: readonly string[];
  readonly logLines: readonly { readonly text: string; readonly level: 'info' | 'warning' }[];
}

/** The routes the answers prove. An outage proves nothing: the route kept stays. */
export function decideRoutes(
  entries: readonly {
    readonly mailbox: Mailbox;
    readonly previous: MailboxSide | 'none' | null;
    readonly answers: readonly SideAnswer[];
  }[],
  now: Instant,
): RouteDecisions {
  const changed: MailboxRoute[] = [];
  const moved: string[] = [];
  const logLines: { text: string; level: 'info' | 'warning' }[] = [];
  for (const { mailbox, previous, answers } of entries) {
    const holder = answers.find((a) => a.outcome === 'ok')?.side;
    const refusedByBoth =
      answers.some((a) => a.side === 'graph' && a.outcome === 'refused') &&
      answers.some((a) => a.side === 'ews' && a.outcome === 'refused');
    const side = holder ?? (refusedByBoth ? 'none' : null);
    if (side === null || side === previous) continue;
    changed.push({ userId: mailbox.userId, side, email: mailbox.email, checkedAt: now });
    if (side === 'none') {
      logLines.push({
        text: `Neither Exchange Online nor the Exchange Server holds a mailbox for ${mailbox.email}`,
        level: 'warning',
      });
    } else if (previous !== null) {
      moved.push(mailbox.userId);
      logLines.push({ text: `${mailbox.email} moved to ${SIDE_NAMES[side]}`, level: 'info' });
    }
  }
  return { changed, moved, logLines };
}

const OUTAGES: ReadonlySet<string> = new Set([
  'exchange.unreachable',
  'exchange.throttled',
  'exchange.unauthorized',
]);

/** A side's health from one call's results: an outage names its cause; refusals are no outage. */
export function sideHealth(
  results: readonly Result<unknown>[],
): { readonly ok: true } | { readonly ok: false; readonly cause: string } | null {
  const outage = results.find((r) => !r.ok && OUTAGES.has(r.error.code));
  if (outage !== undefined && !outage.ok) return { ok: false, cause: outage.error.message };
  return results.some((r) => r.ok) ? { ok: true } : null;
}
