import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import type { ClientStateCheck, ClientStates } from '../calendar/client-states.ts';
import { AppError, fail, ok, type Result } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type { WorkQueues } from '../queues/messages.ts';
import { readBodyJson } from '../runtime/request-body.ts';
import type { SubscriptionStore } from '../storage/stores.ts';
import { CalendarSyncRequests } from './calendar-sync-requests.ts';
import {
  changeNotifications,
  lifecycleEventOf,
  lifecycleNotifications,
} from './graph-notification-schemas.ts';
import {
  accepted,
  handshake,
  MAX_BODY_BYTES,
  refuse,
  refused,
  type WebhookAnswer,
  type WebhookRequest,
} from './graph-webhook-http.ts';
import type { SubscriptionCache } from './subscription-cache.ts';

export interface GraphWebhookDeps {
  /** Where a removed subscription is deleted. */
  readonly subscriptions: Pick<SubscriptionStore, 'delete'>;
  /** The subscriptions notices name, shared with the EWS webhook. */
  readonly known: SubscriptionCache;
  /** Signed clientStates name their user: such a notice needs no subscription read. */
  readonly clientStates?: ClientStates;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  readonly now: () => Instant;
}

const IGNORED_LOG_EVERY_MS = 60_000;
/**
 * Graph documents no largest delivery: it gathers the notices of the subscriptions that share a
 * notification URL (one per user here), and retries a refused delivery for 4 hours, then drops
 * it. So the bound counts only the subscriptions a POST makes us look up (notices whose
 * clientState is not signed by us): Graph's own deliveries carry signed states and are never
 * refused whatever their size, while a made-up POST costs at most this many reads. A hundred
 * is far beyond the subscriptions with unsigned states one moment's changes can name (those
 * states are replaced at each subscription's next renewal).
 */
export const MAX_SUBSCRIPTIONS_PER_DELIVERY = 100;

/**
 * SPEC §5's Graph routes: the handshake, change notifications and lifecycle notifications.
 * They validate, check each notice's clientState in constant time (a signed one names its user,
 * see client-states.ts; any other, and every lifecycle notice, against its stored subscription),
 * queue calendar-sync jobs and answer without calling Exchange. The work an anonymous caller
 * can cause is bounded: a notice without a clientState is dropped unread, each subscription is
 * looked up once per request (and unknown ones are remembered a while), and a POST that would
 * need more lookups than a delivery names subscriptions is refused. Notices with an unknown subscription or a
 * wrong clientState are ignored (counted in the log, at most once a minute).
 */
export class GraphWebhook {
  readonly #deps: GraphWebhookDeps;
  readonly #sync: CalendarSyncRequests;
  #ignored = 0;
  #ignoredLoggedAt = 0;

  constructor(deps: GraphWebhookDeps) {
    this.#deps = deps;
    this.#sync = new CalendarSyncRequests(deps.queues, deps.now);
  }

  /** POST /api/notifications/graph */
  notifications(request: WebhookRequest): Promise<WebhookAnswer> {
    return orRetryLater(this.#notifications(request));
  }

  /** POST /api/notifications/graph/lifecycle */
  lifecycle(request: WebhookRequest): Promise<WebhookAnswer> {
    return orRetryLater(this.#lifecycle(request));
  }

  async #notifications(request: WebhookRequest): Promise<WebhookAnswer> {
    const notices = await readNotices(request, changeNotifications);
    if (!notices.ok) return notices.error;
    const now = this.#deps.now();
    const checked = await this.#checked(notices.value, now);
    // A signed state names its user: only the other notices cost a lookup.
    const tooMany = beyondBound(checked.filter(({ check }) => check?.kind !== 'signed'));
    if (tooMany !== null) return tooMany;
    const lookups = new Map<string, Promise<CalendarSubscription | null>>();
    const users = await Promise.all(
      checked.map(async ({ notice, check }) => {
        if (check?.kind === 'signed') return check.userId;
        // One of ours, but too old: a notice of a subscription that should be gone, or a replay.
        if (check?.kind === 'expired') return this.#ignore(now);
        // Any other state (an earlier random one, or signed under a key since lost) is compared with the stored one.
        return (await this.#stored(notice, lookups, now))?.userId ?? null;
      }),
    );
    const userIds = new Set(users.flatMap((userId) => (userId === null ? [] : [userId])));
    return this.#enqueue([...userIds], 'notification');
  }

  async #lifecycle(request: WebhookRequest): Promise<WebhookAnswer> {
    const notices = await readNotices(request, lifecycleNotifications);
    if (!notices.ok) return notices.error;
    const now = this.#deps.now();
    const checked = await this.#checked(notices.value, now);
    const tooMany = beyondBound(checked);
    if (tooMany !== null) return tooMany;
    const lookups = new Map<string, Promise<CalendarSubscription | null>>();
    const resync = new Set<string>();
    const handled = new Set<string>();
    for (const { notice, check } of checked) {
      const event = lifecycleEventOf(notice.lifecycleEvent);
      if (event === null) continue;
      // Always against the stored subscription (it may be deleted), and never under an expired state.
      const subscription =
        check?.kind === 'expired' ? this.#ignore(now) : await this.#stored(notice, lookups, now);
      // A copy of a notice already handled in this request costs nothing more.
      if (subscription === null || handled.has(`${event} ${subscription.id}`)) continue;
      handled.add(`${event} ${subscription.id}`);
      // The log line is not on the acknowledgement's path (nor can its failure refuse the notice).
      void this.#deps.log
        .write(`Microsoft Graph lifecycle event ${event} for user ${subscription.userId}`)
        .catch(() => undefined);
      if (event === 'subscriptionRemoved') {
        // Gone for good: forget it, so the resync creates a new one rather than renewing.
        this.#deps.known.forget(subscription.id);
        await this.#deps.subscriptions.delete(subscription);
      }
      // reauthorizationRequired: the resync renews the subscription; removed and missed: notices were lost.
      resync.add(subscription.userId);
    }
    return this.#enqueue([...resync], 'resync');
  }

  /** Each notice with what its clientState proves (null: it has none, or nothing signs here). */
  #checked<T extends Notice>(notices: readonly T[], now: Instant): Promise<Checked<T>[]> {
    return Promise.all(
      notices.map(async (notice) => {
        const clientState = notice.clientState ?? null;
        const check =
          clientState === null || this.#deps.clientStates === undefined
            ? null
            : await this.#deps.clientStates.check(clientState, now);
        return { notice, check };
      }),
    );
  }

  /** The notice's stored subscription when its clientState matches; no storage read for a notice without one. */
  async #stored(
    notice: Notice,
    lookups: Map<string, Promise<CalendarSubscription | null>>,
    now: Instant,
  ): Promise<CalendarSubscription | null> {
    const clientState = notice.clientState ?? null;
    if (clientState === null) return this.#ignore(now);
    let lookup = lookups.get(notice.subscriptionId);
    if (lookup === undefined) {
      lookup = this.#deps.known.get(notice.subscriptionId, 'graph');
      lookups.set(notice.subscriptionId, lookup);
    }
    const subscription = await lookup;
    if (subscription !== null && subscription.clientState !== null) {
      if (sameSecret(clientState, subscription.clientState)) return subscription;
    }
    return this.#ignore(now);
  }

  /**
   * Counts an ignored notice, logged at most once a minute. The answer does not wait for the log
   * line (the acknowledgement holds validation and the queue write only), nor fails with it.
   */
  #ignore(now: Instant): null {
    this.#ignored += 1;
    if (now - this.#ignoredLoggedAt >= IGNORED_LOG_EVERY_MS) {
      this.#ignoredLoggedAt = now;
      const count = this.#ignored;
      this.#ignored = 0;
      void this.#deps.log
        .write(
          `Ignored ${count} Microsoft Graph notification(s) with an unknown subscription or a wrong clientState`,
          'warning',
        )
        .catch(() => undefined);
    }
    return null;
  }

  /** Storage down: Graph retries a notification it could not deliver. */
  async #enqueue(userIds: readonly string[], reason: 'notification' | 'resync'): Promise<WebhookAnswer> {
    const queued = await this.#sync.request(userIds, reason);
    return queued ? accepted : refuse(503, 'could not queue the notifications, try again');
  }
}

/** Storage down: 503, and Graph delivers the notification again later. Anything else is a bug and propagates. */
async function orRetryLater(answer: Promise<WebhookAnswer>): Promise<WebhookAnswer> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof AppError && error.code === 'storage.unavailable') {
      return refuse(503, 'storage is unavailable, try again');
    }
    throw error;
  }
}

/** Constant-time comparison: digests have equal length whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function describe(issue: { path: readonly PropertyKey[]; message: string } | undefined): string {
  if (issue === undefined) return 'invalid notification';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/**
 * The notices of a POST, or the answer to give instead: the handshake or a refused body.
 */
async function readNotices<T extends { readonly subscriptionId: string }>(
  request: WebhookRequest,
  schema: z.ZodType<{ value: T[] }>,
): Promise<Result<readonly T[], WebhookAnswer>> {
  const shake = handshake(request);
  if (shake !== null) return fail(shake);
  const body = await readBodyJson(request, MAX_BODY_BYTES);
  if (!body.ok) return fail(refused(body.error));
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) return fail(refuse(400, describe(parsed.error.issues[0])));
  return ok(parsed.data.value);
}

interface Notice {
  readonly subscriptionId: string;
  readonly clientState?: string | null | undefined;
}

type Checked<T extends Notice> = { readonly notice: T; readonly check: ClientStateCheck | null };

/**
 * The refusal of a POST whose notices would need more subscription lookups than a delivery
 * names (notices without a clientState need none), or null.
 */
function beyondBound(checked: readonly Checked<Notice>[]): WebhookAnswer | null {
  const ids = new Set(
    checked.flatMap(({ notice, check }) =>
      notice.clientState == null || check?.kind === 'expired' ? [] : [notice.subscriptionId],
    ),
  );
  if (ids.size <= MAX_SUBSCRIPTIONS_PER_DELIVERY) return null;
  return refuse(
    400,
    `${ids.size} subscriptions to look up in one POST; a delivery names at most ${MAX_SUBSCRIPTIONS_PER_DELIVERY}`,
  );
}
