import { createHash, timingSafeEqual } from 'node:crypto';
import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import type { ClientStates } from '../calendar/client-states.ts';
import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type { WorkQueues } from '../queues/messages.ts';
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
  readJsonBody,
  refuse,
  type WebhookAnswer,
  type WebhookRequest,
} from './graph-webhook-http.ts';

export interface GraphWebhookDeps {
  readonly subscriptions: SubscriptionStore;
  /** Signed clientStates name their user: such a notice needs no subscription read. */
  readonly clientStates?: ClientStates;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  readonly now: () => Instant;
}

export { COALESCE_SECONDS } from './calendar-sync-requests.ts';

const SUBSCRIPTION_CACHE_MS = 60_000;
const IGNORED_LOG_EVERY_MS = 60_000;

/**
 * SPEC §5's Graph routes: the handshake, change notifications and lifecycle notifications.
 * They validate, check each notice's clientState in constant time (a signed one names its user,
 * see client-states.ts; any other, and every lifecycle notice, against its stored subscription),
 * queue calendar-sync jobs and answer without calling Exchange. Notices with an unknown
 * subscription or a wrong clientState are ignored (counted in the log, at most once a minute).
 */
export class GraphWebhook {
  readonly #deps: GraphWebhookDeps;
  /** subscription id → subscription; lookups are most of the answer time, and subscriptions change weekly. */
  readonly #known = new Map<string, { subscription: CalendarSubscription; until: Instant }>();
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
    const shake = handshake(request);
    if (shake !== null) return shake;
    const body = await readJsonBody(request);
    if (!body.ok) return body.answer;
    const parsed = changeNotifications.safeParse(body.value);
    if (!parsed.success) return refuse(400, describe(parsed.error.issues[0]));
    const now = this.#deps.now();
    const users = await Promise.all(
      parsed.data.value.map((notice) => this.#userOf(notice.subscriptionId, notice.clientState ?? null, now)),
    );
    const userIds = new Set(users.flatMap((userId) => (userId === null ? [] : [userId])));
    return this.#enqueue([...userIds], now, 'notification');
  }

  async #lifecycle(request: WebhookRequest): Promise<WebhookAnswer> {
    const shake = handshake(request);
    if (shake !== null) return shake;
    const body = await readJsonBody(request);
    if (!body.ok) return body.answer;
    const parsed = lifecycleNotifications.safeParse(body.value);
    if (!parsed.success) return refuse(400, describe(parsed.error.issues[0]));
    const now = this.#deps.now();
    const resync = new Set<string>();
    for (const notice of parsed.data.value) {
      const subscription = await this.#authentic(notice.subscriptionId, notice.clientState ?? null, now);
      const event = lifecycleEventOf(notice.lifecycleEvent);
      if (subscription === null || event === null) continue;
      await this.#deps.log.write(`Microsoft Graph lifecycle event ${event} for user ${subscription.userId}`);
      if (event === 'subscriptionRemoved') {
        // Gone for good: forget it, so the resync creates a new one rather than renewing.
        this.#known.delete(subscription.id);
        await this.#deps.subscriptions.delete(subscription);
      }
      // reauthorizationRequired: the resync renews the subscription; removed and missed: notices were lost.
      resync.add(subscription.userId);
    }
    return this.#enqueue([...resync], now, 'resync');
  }

  /**
   * The user a change notice is for, when it is authentic. A clientState that does not prove
   * itself (an earlier random one, or signed under a key since lost) is compared with the
   * stored subscription's, as before signing.
   */
  async #userOf(subscriptionId: string, clientState: string | null, now: Instant): Promise<string | null> {
    if (clientState !== null && this.#deps.clientStates !== undefined) {
      const check = await this.#deps.clientStates.check(clientState);
      if (check.kind === 'signed') return check.userId;
    }
    return (await this.#authentic(subscriptionId, clientState, now))?.userId ?? null;
  }

  async #authentic(
    subscriptionId: string,
    clientState: string | null,
    now: Instant,
  ): Promise<CalendarSubscription | null> {
    const subscription = await this.#subscription(subscriptionId, now);
    if (subscription !== null && clientState !== null && subscription.clientState !== null) {
      if (sameSecret(clientState, subscription.clientState)) return subscription;
    }
    return this.#ignore(now);
  }

  /** Counts an ignored notice, logged at most once a minute. */
  async #ignore(now: Instant): Promise<null> {
    this.#ignored += 1;
    if (now - this.#ignoredLoggedAt >= IGNORED_LOG_EVERY_MS) {
      this.#ignoredLoggedAt = now;
      const count = this.#ignored;
      this.#ignored = 0;
      await this.#deps.log.write(
        `Ignored ${count} Microsoft Graph notification(s) with an unknown subscription or a wrong clientState`,
        'warning',
      );
    }
    return null;
  }

  async #subscription(id: string, now: Instant): Promise<CalendarSubscription | null> {
    const cached = this.#known.get(id);
    if (cached !== undefined && cached.until > now) return cached.subscription;
    const subscription = await this.#deps.subscriptions.getById(id);
    // Only hits are cached: a subscription created a moment ago must be found on its first notice.
    if (subscription === null || subscription.source !== 'graph') {
      this.#known.delete(id);
      return null;
    }
    if (this.#known.size > 50_000) this.#known.clear();
    this.#known.set(id, { subscription, until: now + SUBSCRIPTION_CACHE_MS });
    return subscription;
  }

  /** Storage down: Graph retries a notification it could not deliver. */
  async #enqueue(
    userIds: readonly string[],
    now: Instant,
    reason: 'notification' | 'resync',
  ): Promise<WebhookAnswer> {
    const queued = await this.#sync.request(userIds, now, reason);
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
