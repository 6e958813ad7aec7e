import type { ExchangeSimulator } from '../exchange-sim/graph/exchange-simulator.ts';
import { type MailboxHome, mountOrganization } from '../exchange-sim/organization-split.ts';

/** Where the demo's mailboxes live with CALENDAR_SOURCE=hybrid: some in the cloud, some on the Exchange Server. */
export const DEMO_HOMES: readonly (readonly [string, MailboxHome])[] = [
  ['ann@contoso.com', 'exchangeOnline'],
  ['carla@contoso.com', 'exchangeOnline'],
  ['bob@contoso.com', 'exchangeServer'],
  ['dan@contoso.com', 'exchangeServer'],
  ['eve@contoso.com', 'exchangeServer'],
];

/** Dan's mailbox is migrated to Exchange Online this long after the start, during his private meeting. */
export const DEMO_MOVE_AFTER_MS = 90_000;
export const DEMO_MOVED = 'dan@contoso.com';

/** Splits the demo organization across both sides, and migrates one mailbox during the first two minutes. */
export function splitDemoOrganization(
  exchange: ExchangeSimulator,
  t0: number,
  moveAfterMs = DEMO_MOVE_AFTER_MS,
): { stop(): Promise<void> } {
  const homes = mountOrganization(exchange);
  for (const [address, home] of DEMO_HOMES) homes.place(address, home);
  const move = setTimeout(
    () => homes.move(DEMO_MOVED, 'exchangeOnline'),
    Math.max(0, t0 + moveAfterMs - Date.now()),
  ).unref();
  return { stop: async () => clearTimeout(move) };
}
