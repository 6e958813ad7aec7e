import type { Instant } from '../../presence/model.ts';

/** The side that holds a mailbox: Exchange Online through Graph, or the Exchange Server through EWS. */
export type MailboxSide = 'graph' | 'ews';

/** Where a hybrid user's mailbox is read: a side, or 'none' when neither side holds it. */
export interface MailboxRoute {
  readonly userId: string;
  readonly side: MailboxSide | 'none';
  /** The address the route was found for: a changed address is routed afresh. */
  readonly email: string;
  readonly checkedAt: Instant;
}

/** The routes, kept on each user's record (the directory sync may drop them: they are found again). */
export interface MailboxRouteStore {
  list(): Promise<readonly MailboxRoute[]>;
  get(userId: string): Promise<MailboxRoute | null>;
  /** Writes each route onto its user's record; a user who left the directory meanwhile is skipped. */
  putAll(routes: readonly MailboxRoute[]): Promise<void>;
}

export const SIDE_NAMES: Readonly<Record<MailboxSide, string>> = {
  graph: 'Exchange Online',
  ews: 'Exchange Server',
};

/** How the admin views name a route. */
export function sideName(side: MailboxSide | 'none'): string {
  return side === 'none' ? 'no mailbox found' : SIDE_NAMES[side];
}
