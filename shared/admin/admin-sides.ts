import type { MailboxRoute } from '../calendar/hybrid/mailbox-routes.ts';
import { sideName } from '../calendar/hybrid/mailbox-routes.ts';
import type { UserRecord } from '../storage/stores.ts';
import type { HealthWarning } from './health-warning.ts';

/** A user's side of a hybrid organization, as the users and advanced views show it; null: not routed (yet). */
export function sideView(route: MailboxRoute | null | undefined) {
  return route == null ? null : { route: route.side, name: sideName(route.side), checkedAt: route.checkedAt };
}

/**
 * The health view's sides (CALENDAR_SOURCE=hybrid): integrated users per side, and each mailbox
 * that no side can read as an error naming it.
 */
export function sidesHealth(integrated: readonly UserRecord[], routes: readonly MailboxRoute[]) {
  const routeOf = new Map(routes.map((route) => [route.userId, route]));
  const counts = { exchangeOnline: 0, exchangeServer: 0, noMailbox: 0, notRoutedYet: 0 };
  const warnings: HealthWarning[] = [];
  for (const user of integrated) {
    const route = routeOf.get(user.id);
    // A route found for another address no longer holds (the next read routes afresh).
    const side = route !== undefined && route.email === user.email ? route.side : null;
    if (side === 'graph') counts.exchangeOnline += 1;
    else if (side === 'ews') counts.exchangeServer += 1;
    else if (side === null) counts.notRoutedYet += 1;
    else {
      counts.noMailbox += 1;
      warnings.push({
        severity: 'error',
        area: 'calendars',
        text: `${user.email ?? user.id}: no side can read this mailbox (neither Exchange Online nor the Exchange Server holds it)`,
        userId: user.id,
      });
    }
  }
  return { counts, warnings };
}
