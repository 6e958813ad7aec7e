import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Mailboxes, SimUser } from './mailboxes.ts';

/**
 * A hybrid organization: one directory, and each mailbox on one side, Exchange Online (served
 * by Graph) or the Exchange Server (served by EWS). The other side refuses it as the real one
 * does: Graph with 404 MailboxNotEnabledForRESTAPI ("hosted on-premise"), EWS with
 * ErrorNonExistentMailbox (on-premises the moved user is a mail user, not a mailbox). A mailbox
 * with no side placed is served by both, as in a single-path organization.
 */
export type MailboxHome = 'exchangeOnline' | 'exchangeServer';

type MoveListener = (user: SimUser, to: MailboxHome) => void;

export class MailboxHomes {
  readonly #homes = new Map<string, MailboxHome>();
  readonly #listeners = new Set<MoveListener>();
  readonly #mailboxes: Mailboxes;

  constructor(mailboxes: Mailboxes) {
    this.#mailboxes = mailboxes;
  }

  /** Where the mailbox lives; null when not split (both sides serve it). */
  homeOf(user: SimUser): MailboxHome | null {
    return this.#homes.get(user.id) ?? null;
  }

  place(address: string, home: MailboxHome): void {
    this.#homes.set(this.#mailboxes.user(address).id, home);
  }

  /** A migration batch completing for one mailbox: the old side stops serving it at once. */
  move(address: string, to: MailboxHome): void {
    const user = this.#mailboxes.user(address);
    if (this.#homes.get(user.id) === to) return;
    this.#homes.set(user.id, to);
    for (const listener of this.#listeners) listener(user, to);
  }

  onMove(listener: MoveListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

const homes = new WeakMap<Mailboxes, MailboxHomes>();

/** The split of an organization's mailboxes (made on first use). */
export function homesOf(mailboxes: Mailboxes): MailboxHomes {
  let split = homes.get(mailboxes);
  if (split === undefined) {
    split = new MailboxHomes(mailboxes);
    homes.set(mailboxes, split);
  }
  return split;
}

/** Whether `side` holds the mailbox: Graph serves Exchange Online, EWS the Exchange Server. */
export function servedOn(mailboxes: Mailboxes, user: SimUser, side: MailboxHome): boolean {
  const home = homes.get(mailboxes)?.homeOf(user) ?? null;
  return home === null || home === side;
}

export const ORGANIZATION_PATH = '/_organization/';

const moveBody = z.object({ to: z.enum(['exchangeOnline', 'exchangeServer']) });

/**
 * What the control call needs of the simulated Exchange (its ExchangeSimulator has it): named
 * here, because the Graph simulator reads `servedOn` from this file and must not be read back.
 */
export interface OrganizationHost {
  readonly mailboxes: Mailboxes;
  subscriptions(): readonly { readonly id: string; readonly userId: string }[];
  sendLifecycle(subscriptionId: string, event: 'subscriptionRemoved'): void;
  mount(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/**
 * Serves the organization's control call on the simulator's port,
 * `POST /_organization/mailboxes/{address}/move` `{"to":"exchangeOnline"}`, and makes Graph end
 * the subscriptions of a mailbox that leaves Exchange Online with `subscriptionRemoved`.
 */
export function mountOrganization(simulator: OrganizationHost): MailboxHomes {
  const split = homesOf(simulator.mailboxes);
  split.onMove((user, to) => {
    if (to !== 'exchangeServer') return;
    for (const subscription of simulator.subscriptions()) {
      if (subscription.userId === user.id) simulator.sendLifecycle(subscription.id, 'subscriptionRemoved');
    }
  });
  simulator.mount(ORGANIZATION_PATH, (req, res) => void control(simulator.mailboxes, split, req, res));
  return split;
}

async function control(
  mailboxes: Mailboxes,
  split: MailboxHomes,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = /^\/_organization\/mailboxes\/([^/]+)\/move$/.exec(
    new URL(req.url ?? '/', 'https://x').pathname,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk));
  const body = moveBody.safeParse(safeJson(Buffer.concat(chunks).toString('utf8')));
  const address = match?.[1] === undefined ? '' : decodeURIComponent(match[1]);
  if (req.method !== 'POST' || !body.success || mailboxes.findUser(address) === undefined) {
    res.writeHead(match === null ? 404 : 400, { 'content-length': '0' }).end();
    return;
  }
  split.move(address, body.data.to);
  res.writeHead(204).end();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
