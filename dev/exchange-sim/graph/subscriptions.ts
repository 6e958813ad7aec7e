import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { MailboxChange, Mailboxes } from '../mailboxes.ts';
import { servedOn } from '../organization-split.ts';
import { graphError, json, type SimResponse } from './http.ts';
import type { Notifier } from './notifier.ts';

/**
 * Graph change-notification subscriptions on `users/{id}/events`, with Graph's rules: at
 * most 10,080 minutes, the validation handshake on both URLs at creation, a lifecycle URL
 * that can only be set then, and notifications fanned out from the mailbox change feed.
 */

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';
type ChangeType = 'created' | 'updated' | 'deleted';

export interface SimSubscription {
  readonly id: string;
  readonly applicationId: string;
  readonly resource: string;
  readonly userId: string;
  readonly changeTypes: ReadonlySet<ChangeType>;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | null;
  readonly clientState: string | null;
  expiresAt: number;
}

export interface SubscriptionsOptions {
  readonly mailboxes: Mailboxes;
  readonly notifier: Notifier;
  readonly tenantId: string;
  readonly origin: () => string;
  /** Longest life Graph grants an Outlook event subscription. */
  readonly maxMinutes?: number;
  readonly handshakeTimeoutMs?: number;
  /** Share of change notifications Graph sends twice (it does: clients must de-duplicate). */
  readonly duplicateRatio?: () => number;
}

const MAX_MINUTES = 10_080;
const CHANGE_TYPES = ['created', 'updated', 'deleted'] as const;
const RESOURCE = /^\/?(?:users)\/([^/]+)\/(?:events)$/i;

const CreateBody = z.object({
  changeType: z.string().min(1),
  notificationUrl: z.string().min(1),
  lifecycleNotificationUrl: z.string().min(1).optional(),
  resource: z.string().min(1),
  expirationDateTime: z.string().min(1),
  clientState: z.string().max(128).optional(),
  latestSupportedTlsVersion: z.string().optional(),
});
const UpdateBody = z
  .object({ expirationDateTime: z.string().min(1).optional(), notificationUrl: z.string().optional() })
  .passthrough();

export class Subscriptions {
  readonly #options: SubscriptionsOptions;
  readonly #byId = new Map<string, SimSubscription>();
  /** userId → its subscriptions, so a change reaches its subscribers without a scan of all. */
  readonly #byUser = new Map<string, Set<SimSubscription>>();
  readonly #stopListening: () => void;

  constructor(options: SubscriptionsOptions) {
    this.#options = options;
    this.#stopListening = options.mailboxes.onChange((change) => this.#notify(change));
  }

  stop(): void {
    this.#stopListening();
  }

  /** Live (unexpired) subscriptions. */
  all(): readonly SimSubscription[] {
    this.#prune();
    return [...this.#byId.values()];
  }

  /** `mayReadCalendars`: the token holds Calendars.Read (an events subscription needs it, as reading does). */
  async create(appId: string, body: unknown, mayReadCalendars = true): Promise<SimResponse> {
    const parsed = CreateBody.safeParse(body);
    if (!parsed.success) {
      return graphError(
        400,
        'InvalidRequest',
        `Invalid request: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
      );
    }
    const input = parsed.data;
    const changeTypes = input.changeType.split(',').map((s) => s.trim());
    const bad = changeTypes.find((t) => !isChangeType(t));
    if (bad !== undefined)
      return extensionError(400, 'BadRequest', `Invalid 'changeType' attribute: '${bad}'.`);
    const resourceUser = RESOURCE.exec(input.resource)?.[1];
    if (!resourceUser) {
      return extensionError(
        400,
        'BadRequest',
        `The resource '${input.resource}' is not supported: use users/{id}/events.`,
      );
    }
    // As in /users/{key}: the object id or the UPN; a mail address or alias names nobody.
    const user = this.#options.mailboxes.findByKey(resourceUser);
    if (!user?.hasMailbox || !servedOn(this.#options.mailboxes, user, 'exchangeOnline')) {
      return extensionError(404, 'NotFound', `The requested user '${resourceUser}' is invalid.`);
    }
    if (!mayReadCalendars) {
      return extensionError(403, 'Forbidden', 'Access is denied. Check credentials and try again.');
    }
    const expiry = this.#expiry(input.expirationDateTime, 'Create');
    if ('response' in expiry) return expiry.response;
    for (const url of [input.notificationUrl, input.lifecycleNotificationUrl]) {
      if (url !== undefined && !isHttpUrl(url)) {
        return graphError(400, 'InvalidRequest', `Invalid notification url '${url}'.`);
      }
    }
    const refused = await this.#handshake(input.notificationUrl, input.lifecycleNotificationUrl);
    if (refused) return refused;
    const subscription: SimSubscription = {
      id: randomUUID(),
      applicationId: appId,
      resource: input.resource,
      userId: user.id,
      changeTypes: new Set(changeTypes.filter(isChangeType)),
      notificationUrl: input.notificationUrl,
      lifecycleNotificationUrl: input.lifecycleNotificationUrl ?? null,
      clientState: input.clientState ?? null,
      expiresAt: expiry.at,
    };
    this.#add(subscription);
    return json(
      {
        '@odata.context': `${this.#options.origin()}/v1.0/$metadata#subscriptions/$entity`,
        ...this.#view(subscription),
      },
      201,
    );
  }

  update(appId: string, id: string, body: unknown): SimResponse {
    const subscription = this.#own(appId, id);
    if (!subscription) return notFound();
    const parsed = UpdateBody.safeParse(body);
    if (!parsed.success) return graphError(400, 'InvalidRequest', 'Invalid request.');
    if ('lifecycleNotificationUrl' in parsed.data) {
      return extensionError(
        400,
        'BadRequest',
        'lifecycleNotificationUrl can only be set when the subscription is created.',
      );
    }
    if (parsed.data.expirationDateTime !== undefined) {
      const expiry = this.#expiry(parsed.data.expirationDateTime, 'Update');
      if ('response' in expiry) return expiry.response;
      subscription.expiresAt = expiry.at;
    }
    return json({
      '@odata.context': `${this.#options.origin()}/v1.0/$metadata#subscriptions/$entity`,
      ...this.#view(subscription),
    });
  }

  delete(appId: string, id: string): SimResponse {
    if (!this.#own(appId, id)) return notFound();
    this.#remove(id);
    return { status: 204 };
  }

  get(appId: string, id: string): SimResponse {
    const subscription = this.#own(appId, id);
    return subscription ? json(this.#view(subscription)) : notFound();
  }

  list(appId: string): SimResponse {
    const mine = this.all().filter((s) => s.applicationId === appId);
    return json({
      '@odata.context': `${this.#options.origin()}/v1.0/$metadata#subscriptions`,
      value: mine.map((s) => this.#view(s)),
    });
  }

  /** Sends a lifecycle notification; `subscriptionRemoved` also removes the subscription, as Graph does. */
  sendLifecycle(id: string, lifecycleEvent: LifecycleEvent): void {
    const subscription = this.#byId.get(id);
    if (!subscription) throw new Error(`no subscription ${id}`);
    if (lifecycleEvent === 'subscriptionRemoved') this.#remove(id);
    if (!subscription.lifecycleNotificationUrl) return;
    this.#options.notifier.enqueue(subscription.lifecycleNotificationUrl, 'lifecycle', {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: graphOffset(subscription.expiresAt),
      tenantId: this.#options.tenantId,
      clientState: subscription.clientState,
      lifecycleEvent,
    });
  }

  #notify(change: MailboxChange): void {
    const now = this.#options.mailboxes.now();
    for (const subscription of this.#byUser.get(change.userId) ?? []) {
      if (subscription.expiresAt <= now) continue;
      if (!subscription.changeTypes.has(change.kind)) continue;
      const path = `Users/${change.userId}/Events/${change.eventId}`;
      const notification = {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: graphOffset(subscription.expiresAt),
        changeType: change.kind,
        resource: path,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Event',
          '@odata.id': path,
          ...(change.kind === 'deleted' ? {} : { '@odata.etag': `W/"${change.event.changeKey}"` }),
          id: change.eventId,
        },
        clientState: subscription.clientState,
        tenantId: this.#options.tenantId,
      };
      this.#options.notifier.enqueue(subscription.notificationUrl, 'change', notification);
      if (Math.random() < (this.#options.duplicateRatio?.() ?? 0)) {
        this.#options.notifier.enqueue(subscription.notificationUrl, 'change', notification);
      }
    }
  }

  async #handshake(notificationUrl: string, lifecycleUrl: string | undefined): Promise<SimResponse | null> {
    const timeout = this.#options.handshakeTimeoutMs ?? 10_000;
    for (const url of lifecycleUrl === undefined ? [notificationUrl] : [notificationUrl, lifecycleUrl]) {
      // Real tokens carry spaces and colons, so a receiver that does not decode them fails here too.
      const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()} ${randomBytes(6).toString('hex')}`;
      const answer = await this.#options.notifier.validate(url, token, timeout);
      if (answer.status === null) {
        return graphError(
          400,
          'ValidationError',
          `Subscription validation request failed. Notification endpoint ${url} did not respond within ${timeout / 1000} seconds.`,
        );
      }
      if (
        answer.status !== 200 ||
        !answer.contentType.toLowerCase().startsWith('text/plain') ||
        answer.text !== token
      ) {
        return graphError(
          400,
          'ValidationError',
          `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.`,
        );
      }
    }
    return null;
  }

  #expiry(text: string, operation: 'Create' | 'Update'): { at: number } | { response: SimResponse } {
    const at = Date.parse(text);
    const now = this.#options.mailboxes.now();
    const max = this.#options.maxMinutes ?? MAX_MINUTES;
    if (Number.isNaN(at))
      return { response: graphError(400, 'InvalidRequest', `Invalid expirationDateTime '${text}'.`) };
    if (at <= now) {
      return {
        response: extensionError(
          400,
          'BadRequest',
          `Subscription expiration must be in the future.`,
          operation,
        ),
      };
    }
    if (at > now + max * 60_000) {
      return {
        response: extensionError(
          400,
          'BadRequest',
          `Subscription expiration can only be ${max} minutes in the future.`,
          operation,
        ),
      };
    }
    return { at };
  }

  #own(appId: string, id: string): SimSubscription | undefined {
    const subscription = this.#byId.get(id);
    if (subscription && subscription.expiresAt <= this.#options.mailboxes.now()) {
      this.#remove(id);
      return undefined;
    }
    return subscription?.applicationId === appId ? subscription : undefined;
  }

  #prune(): void {
    const now = this.#options.mailboxes.now();
    for (const [id, s] of this.#byId) if (s.expiresAt <= now) this.#remove(id);
  }

  #add(subscription: SimSubscription): void {
    this.#byId.set(subscription.id, subscription);
    const mine = this.#byUser.get(subscription.userId) ?? new Set();
    mine.add(subscription);
    this.#byUser.set(subscription.userId, mine);
  }

  #remove(id: string): void {
    const subscription = this.#byId.get(id);
    if (!subscription) return;
    this.#byId.delete(id);
    const mine = this.#byUser.get(subscription.userId);
    mine?.delete(subscription);
    if (mine?.size === 0) this.#byUser.delete(subscription.userId);
  }

  #view(s: SimSubscription): object {
    return {
      id: s.id,
      resource: s.resource,
      applicationId: s.applicationId,
      changeType: [...s.changeTypes].join(','),
      clientState: s.clientState,
      notificationUrl: s.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: s.lifecycleNotificationUrl,
      expirationDateTime: graphOffset(s.expiresAt),
      creatorId: s.applicationId,
      includeResourceData: null,
      latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }
}

function isChangeType(value: string): value is ChangeType {
  return (CHANGE_TYPES as readonly string[]).includes(value);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Graph writes subscription expiry with seven fractional digits and `+00:00`. */
function graphOffset(instant: number): string {
  return `${new Date(instant).toISOString().slice(0, 23)}0000+00:00`;
}

function notFound(): SimResponse {
  return graphError(404, 'ResourceNotFound', 'The object was not found.');
}

/** Subscription errors come wrapped like this from the Outlook extension behind Graph. */
function extensionError(status: number, reason: string, message: string, operation = 'Create'): SimResponse {
  return graphError(
    status,
    'ExtensionError',
    `Operation: ${operation}; Exception: [Status Code: ${reason}; Reason: ${message}]`,
  );
}
