import { AppError, fail, type Result } from '../../errors.ts';
import type { AdminLog } from '../../log/admin-log.ts';
import type { Instant } from '../../presence/model.ts';
import type {
  CalendarSource,
  CalendarSubscription,
  CalendarWindow,
  Mailbox,
  MailboxCalendar,
  MailboxOutOfOffice,
  MissingPermission,
  SubscribeRequest,
} from '../calendar-source.ts';
import { type MailboxRoute, type MailboxRouteStore, type MailboxSide, sideName } from './mailbox-routes.ts';
import { decideRoutes, type SideAnswer, sideHealth, triedOrder } from './route-decisions.ts';

export interface HybridSourceOptions {
  readonly graph: CalendarSource;
  readonly ews: CalendarSource;
  readonly routes: MailboxRouteStore;
  readonly log: AdminLog;
  /** Each side's last outcome, as 'exchange-graph' and 'exchange-ews' (GET /api/status names the failing side). */
  readonly health?: SideHealth;
  readonly now: () => Instant;
  /** Users whose mailbox moved to the other side: read again in full, and subscribed there. */
  readonly moved: (userIds: readonly string[]) => Promise<void>;
}

const HEALTH = { graph: 'exchange-graph', ews: 'exchange-ews' } as const;

/** Where each side's outcome is kept (the health store). */
export interface SideHealth {
  report(
    component: (typeof HEALTH)[MailboxSide],
    outcome: { readonly ok: true } | { readonly ok: false; readonly cause: string },
    at: Instant,
  ): Promise<void>;
}

/**
 * CALENDAR_SOURCE=hybrid: each mailbox is served by the side that holds it (SPEC §1). Graph
 * decides first; a mailbox it refuses (404 MailboxNotEnabledForRESTAPI: hosted on-premises, or
 * no Exchange Online mailbox) is tried on EWS, and one EWS refuses (ErrorNonExistentMailbox)
 * on Graph. The route found is kept with the user, so the next call goes straight to its side;
 * a side that starts refusing a mailbox the other now holds re-routes it, and the user is read
 * again in full and subscribed on the new side (the old subscription is ended where it can be).
 */
export class HybridCalendarSource implements CalendarSource {
  readonly kind = 'hybrid';
  readonly #o: HybridSourceOptions;
  readonly #sides: Readonly<Record<MailboxSide, CalendarSource>>;
  /** Routes this process has read or found (another instance's re-routing heals by refusal). */
  readonly #known = new Map<string, MailboxRoute>();

  constructor(options: HybridSourceOptions) {
    this.#o = options;
    this.#sides = { graph: options.graph, ews: options.ews };
  }

  async connect(log: AdminLog): Promise<void> {
    const failures: { side: MailboxSide; error: unknown }[] = [];
    for (const side of ['graph', 'ews'] as const) {
      try {
        await this.#sides[side].connect(log);
        await this.#report(side, { ok: true });
      } catch (error) {
        failures.push({ side, error });
        await this.#report(side, { ok: false, cause: readable(error) });
        await log.write(`${sideName(side)} does not answer: its users wait until it does`, 'error');
      }
    }
    const [first, second] = failures;
    if (first === undefined) return;
    // One side down: the other side's users are still served, and the status names the failing side.
    if (second === undefined) return;
    throw new AppError('exchange.unreachable', 'Neither Exchange Online nor the Exchange Server answers', {
      cause: first.error,
    });
  }

  /**
   * Graph's directory ids (synced on-premises users are in the directory too); the EWS side
   * addresses by SMTP address and ignores them. An address the directory does not hold may
   * still be a mailbox on the Exchange Server: it is left to the routes, not skipped.
   */
  async resolveMailboxes(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, Result<string | null>>> {
    const graph = this.#sides.graph;
    if (graph.resolveMailboxes === undefined) return new Map();
    const answers = await graph.resolveMailboxes(mailboxes);
    return new Map([...answers].filter(([, answer]) => !(answer.ok && answer.value === null)));
  }

  /** The Graph side's missing permissions (EWS names none). */
  async missingPermissions(): Promise<readonly MissingPermission[]> {
    return (await this.#sides.graph.missingPermissions?.()) ?? [];
  }

  async checkMailboxes(mailboxes: readonly Mailbox[]): Promise<void> {
    if (mailboxes.length === 0) return;
    const known = await this.#routesOf(mailboxes);
    // Graph's mailbox settings answer for a cloud mailbox; only what it refuses costs an EWS call.
    const cloud = await this.#call(
      'graph',
      mailboxes,
      (source, batch) => source.readOutOfOffice(batch),
      self,
    );
    const refused = mailboxes.filter((m) => cloud.get(m.userId)?.ok === false);
    const answers = new Map<string, SideAnswer[]>();
    for (const mailbox of mailboxes)
      answers.set(mailbox.userId, [answerOf('graph', cloud.get(mailbox.userId))]);
    const stillOnPremises = refused.filter(
      (m) => isRefusal(cloud.get(m.userId)) && known.get(m.userId)?.side === 'ews',
    );
    const probe = refused.filter((m) => !stillOnPremises.includes(m));
    const onPremises =
      probe.length === 0
        ? new Map<string, Result<MailboxOutOfOffice>>()
        : await this.#call('ews', probe, (source, batch) => source.readOutOfOffice(batch), self);
    for (const mailbox of probe)
      answers.get(mailbox.userId)?.push(answerOf('ews', onPremises.get(mailbox.userId)));
    for (const mailbox of stillOnPremises) answers.get(mailbox.userId)?.push({ side: 'ews', outcome: 'ok' });
    await this.#settle(mailboxes, known, answers);
  }

  readCalendars(
    mailboxes: readonly Mailbox[],
    window: CalendarWindow,
  ): Promise<ReadonlyMap<string, Result<MailboxCalendar>>> {
    return this.#routed(
      mailboxes,
      (m) => m,
      (source, batch) => source.readCalendars(batch, window),
    );
  }

  readOutOfOffice(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, Result<MailboxOutOfOffice>>> {
    return this.#routed(
      mailboxes,
      (m) => m,
      (source, batch) => source.readOutOfOffice(batch),
    );
  }

  async subscribe(
    requests: readonly SubscribeRequest[],
  ): Promise<ReadonlyMap<string, Result<CalendarSubscription>>> {
    const results = await this.#routed(
      requests,
      (r) => r.mailbox,
      // A subscription of the other side is not renewed here: the new side gets its own.
      (source, batch) =>
        source.subscribe(
          batch.map((r) => ({
            mailbox: r.mailbox,
            existing: r.existing?.source === source.kind ? r.existing : null,
          })),
        ),
    );
    await Promise.all(
      requests.map(async ({ mailbox, existing }) => {
        const made = results.get(mailbox.userId);
        if (existing === null || made?.ok !== true || made.value.source === existing.source) return;
        await this.unsubscribe(existing).catch(() => undefined);
      }),
    );
    return results;
  }

  /** On the side that made it; a side that no longer holds the mailbox may refuse, which is fine. */
  async unsubscribe(subscription: CalendarSubscription): Promise<void> {
    await this.#sides[subscription.source].unsubscribe(subscription);
  }

  /** Each mailbox's side, in words, for the log's subscribing lines. */
  async placesOf(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, string>> {
    const known = await this.#routesOf(mailboxes);
    return new Map(
      mailboxes.flatMap((m) => {
        const route = known.get(m.userId);
        return route === undefined ? [] : [[m.userId, sideName(route.side)] as const];
      }),
    );
  }

  async #routed<I, T>(
    items: readonly I[],
    mailboxOf: (item: I) => Mailbox,
    call: (source: CalendarSource, batch: readonly I[]) => Promise<ReadonlyMap<string, Result<T>>>,
  ): Promise<ReadonlyMap<string, Result<T>>> {
    const mailboxes = items.map(mailboxOf);
    const known = await this.#routesOf(mailboxes);
    const results = new Map<string, Result<T>>();
    const answers = new Map<string, SideAnswer[]>(mailboxes.map((m) => [m.userId, []]));
    let pending = items.map((item) => ({ item, order: triedOrder(known.get(mailboxOf(item).userId)?.side) }));
    for (let round = 0; round < 2 && pending.length > 0; round += 1) {
      const bySide = (['graph', 'ews'] as const).map((side) => ({
        side,
        batch: pending.filter((p) => p.order[round] === side),
      }));
      const next: typeof pending = [];
      await Promise.all(
        bySide.map(async ({ side, batch }) => {
          if (batch.length === 0) return;
          const answered = await this.#call(
            side,
            batch.map((p) => p.item),
            call,
            mailboxOf,
          );
          for (const p of batch) {
            const userId = mailboxOf(p.item).userId;
            const result = answered.get(userId);
            answers.get(userId)?.push(answerOf(side, result));
            if (result !== undefined) results.set(userId, result);
            if (isRefusal(result) && round === 0) next.push(p);
          }
        }),
      );
      pending = next;
    }
    await this.#settle(mailboxes, known, answers);
    return results;
  }

  /** One side's call; a side that throws fails each of its mailboxes, not the other side's. */
  async #call<I, T>(
    side: MailboxSide,
    batch: readonly I[],
    call: (source: CalendarSource, batch: readonly I[]) => Promise<ReadonlyMap<string, Result<T>>>,
    mailboxOf: (item: I) => Mailbox,
  ): Promise<ReadonlyMap<string, Result<T>>> {
    let answered: ReadonlyMap<string, Result<T>>;
    try {
      answered = await call(this.#sides[side], batch);
    } catch (error) {
      const appError =
        error instanceof AppError
          ? error
          : new AppError('internal', `${sideName(side)} failed unexpectedly`, { cause: error });
      answered = new Map(batch.map((item) => [mailboxOf(item).userId, fail(appError)]));
    }
    const health = sideHealth([...answered.values()]);
    if (health !== null) await this.#report(side, health);
    return answered;
  }

  async #routesOf(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, MailboxRoute>> {
    const found = new Map<string, MailboxRoute>();
    await Promise.all(
      mailboxes.map(async ({ userId, email }) => {
        const route = this.#known.get(userId) ?? (await this.#o.routes.get(userId));
        // A changed address may be another mailbox: routed afresh.
        if (route !== null && route.email === email) {
          this.#known.set(userId, route);
          found.set(userId, route);
        }
      }),
    );
    return found;
  }

  /** Keeps what the answers proved, logs each move, and has the moved users read again. */
  async #settle(
    mailboxes: readonly Mailbox[],
    known: ReadonlyMap<string, MailboxRoute>,
    answers: ReadonlyMap<string, readonly SideAnswer[]>,
  ): Promise<void> {
    const decisions = decideRoutes(
      mailboxes.map((mailbox) => ({
        mailbox,
        previous: known.get(mailbox.userId)?.side ?? null,
        answers: answers.get(mailbox.userId) ?? [],
      })),
      this.#o.now(),
    );
    if (decisions.changed.length === 0) return;
    for (const route of decisions.changed) this.#known.set(route.userId, route);
    await this.#o.routes.putAll(decisions.changed);
    for (const line of decisions.logLines) await this.#o.log.write(line.text, line.level);
    if (decisions.moved.length > 0) await this.#o.moved(decisions.moved);
  }

  async #report(side: MailboxSide, outcome: { ok: true } | { ok: false; cause: string }): Promise<void> {
    await this.#o.health?.report(HEALTH[side], outcome, this.#o.now()).catch(() => undefined);
  }
}

function answerOf(side: MailboxSide, result: Result<unknown> | undefined): SideAnswer {
  if (result === undefined) return { side, outcome: 'unknown' };
  if (result.ok) return { side, outcome: 'ok' };
  return { side, outcome: isRefusal(result) ? 'refused' : 'unknown' };
}

/** The side does not hold this mailbox (Graph 404 MailboxNotEnabledForRESTAPI or no such user; EWS ErrorNonExistentMailbox). */
function isRefusal(result: Result<unknown> | undefined): boolean {
  return result?.ok === false && result.error.code === 'exchange.mailbox_not_found';
}

const self = (mailbox: Mailbox): Mailbox => mailbox;

function readable(error: unknown): string {
  return error instanceof AppError ? error.message : 'unexpected error';
}
