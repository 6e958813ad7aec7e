import { randomBytes } from 'node:crypto';
import type { Subscription } from '@microsoft/microsoft-graph-types';
import { AppError, fail, ok, type Result } from '../../errors.ts';
import type { AdminLog } from '../../log/admin-log.ts';
import { toIsoSeconds } from '../../presence/instant.ts';
import type { Appointment } from '../../presence/model.ts';
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
import { GRAPH_EVENT_SUBSCRIPTION_MAX_MS } from '../client-states.ts';
import { BATCH_SIZE, type BatchItem, GraphBatcher } from './graph-batch.ts';
import type { GraphConnection } from './graph-client.ts';
import { directoryAnswer, directoryListing, directoryLookup, indexDirectoryPage } from './graph-directory.ts';
import { graphStatusError, toGraphAppError } from './graph-errors.ts';
import { toAppointment, toMailboxOutOfOffice } from './graph-mapping.ts';
import { type GraphPermission, missingGraphPermissions, tokenRoles } from './graph-permissions.ts';
import { calendarViewPage, graphSubscription, mailboxSettings, tokenClaims } from './graph-schemas.ts';
import { MailboxGate } from './mailbox-gate.ts';

/** A little less than Graph's longest, so clock skew never makes Graph refuse. */
export const SUBSCRIPTION_LIFETIME_MS = GRAPH_EVENT_SUBSCRIPTION_MAX_MS - 15 * 60_000;
const EVENT_FIELDS = 'id,subject,start,end,isAllDay,showAs,isCancelled,sensitivity,responseStatus';
const PAGE_SIZE = 250;
/** A runaway nextLink chain must not loop forever: 40 pages × 250 = 10,000 events in a window. */
const MAX_PAGES = 40;

export interface GraphSourceOptions {
  /** CALLBACK_URL: notification URLs are derived from it. */
  readonly callbackUrl: URL | null;
  readonly now?: () => number;
  /** A new subscription's clientState for a user; by default random (the webhook then looks it up). */
  readonly clientState?: (userId: string) => Promise<string>;
  /**
   * Whether a subscription's clientState may serve it until the new expiry; by default always.
   * Graph cannot change a clientState (an update takes only expirationDateTime and
   * notificationUrl), so a subscription whose state would expire first is created anew instead.
   */
  readonly renewable?: (clientState: string | null, expiresAt: number) => boolean;
}

/** Exchange Online through Microsoft Graph (SPEC §1), batched 20 requests per $batch. */
export class GraphCalendarSource implements CalendarSource {
  readonly kind = 'graph';
  readonly #connection: GraphConnection;
  readonly #batcher: GraphBatcher;
  readonly #callbackUrl: URL | null;
  readonly #now: () => number;
  readonly #clientState: (userId: string) => Promise<string>;
  readonly #renewable: (clientState: string | null, expiresAt: number) => boolean;

  constructor(connection: GraphConnection, options: GraphSourceOptions) {
    this.#connection = connection;
    this.#batcher = new GraphBatcher(connection.client, new MailboxGate(4));
    this.#callbackUrl = options.callbackUrl;
    this.#now = options.now ?? Date.now;
    this.#clientState = options.clientState ?? (() => Promise.resolve(newClientState()));
    this.#renewable = options.renewable ?? (() => true);
  }

  /** $batch round trips so far (the bench's "round trips per user"). */
  get roundTrips(): number {
    return this.#batcher.stats.batches;
  }

  async connect(log: AdminLog): Promise<void> {
    await log.write('Starting Microsoft Graph');
    await log.write(`Using Graph URL: ${this.#connection.baseUrl}/v1.0`);
    let token: string;
    try {
      const answer = await this.#connection.credential.getToken(this.#connection.scope);
      if (answer === null) throw new AppError('exchange.unauthorized', 'Entra ID gave no token');
      token = answer.token;
    } catch (error) {
      const appError = toGraphAppError(error, 'the token request');
      await log.write(`Could not connect to Microsoft Graph: ${appError.message}`, 'error');
      throw appError;
    }
    const tenant = this.#connection.tenantId ?? tenantOf(token) ?? 'unknown';
    await log.write(`Connected to Microsoft Graph (tenant ${tenant})`);
  }

  /** From the token's `roles`: what an administrator forgot to grant. Throws when no token can be had. */
  async missingPermissions(): Promise<readonly MissingPermission[]> {
    const answer = await this.#connection.credential.getToken(this.#connection.scope);
    if (answer === null) throw new AppError('exchange.unauthorized', 'Entra ID gave no token');
    const roles = tokenRoles(answer.token) ?? [];
    return missingGraphPermissions(roles, this.#connection.credentialKind);
  }

  /**
   * One `$filter` per address, 20 to a `$batch`. For many addresses (a scan), first the directory
   * listing, 999 users a page, for no more pages than the lookups would cost: a tenant of 2,000
   * users is resolved in 3 round trips instead of 100. Addresses the pages did not answer are
   * looked up; when the listing ends, what it did not hold belongs to nobody.
   */
  async resolveMailboxes(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, Result<string | null>>> {
    const results = new Map<string, Result<string | null>>();
    let rest = mailboxes;
    const budget = Math.ceil(mailboxes.length / BATCH_SIZE) - 1;
    if (budget > 0) {
      const listed = await this.#listDirectory(budget);
      if (listed !== null) {
        for (const mailbox of mailboxes) {
          const id = listed.ids.get(mailbox.email.toLowerCase());
          if (id !== undefined || listed.complete) results.set(mailbox.userId, ok(id ?? null));
        }
        rest = mailboxes.filter((mailbox) => !results.has(mailbox.userId));
      }
    }
    const answers = await this.#batcher.run(rest.map(directoryLookup));
    for (const mailbox of rest)
      results.set(mailbox.userId, directoryAnswer(mailbox, answers.get(mailbox.userId)));
    return results;
  }

  /** Up to `pages` pages of the directory; null when it cannot be listed (the lookups then say why). */
  async #listDirectory(
    pages: number,
  ): Promise<{ readonly ids: ReadonlyMap<string, string>; readonly complete: boolean } | null> {
    const ids = new Map<string, string>();
    let url: string | null = directoryListing();
    for (let page = 0; url !== null && page < pages; page += 1) {
      const item: BatchItem = { id: 'directory', method: 'GET', url, mailbox: 'directory' };
      const answer = (await this.#batcher.run([item])).get(item.id);
      if (answer?.ok !== true || answer.value.status !== 200) return null;
      const indexed = indexDirectoryPage(answer.value.body);
      if (indexed === null) return null;
      for (const [address, id] of indexed.ids) if (!ids.has(address)) ids.set(address, id);
      url = indexed.nextLink === null ? null : this.#relative(indexed.nextLink);
    }
    return { ids, complete: url === null };
  }

  async readCalendars(
    mailboxes: readonly Mailbox[],
    window: CalendarWindow,
  ): Promise<ReadonlyMap<string, Result<MailboxCalendar>>> {
    const results = new Map<string, Result<MailboxCalendar>>();
    const collected = new Map<string, Appointment[]>();
    const query = new URLSearchParams({
      startDateTime: toIsoSeconds(window.start),
      endDateTime: toIsoSeconds(window.end),
      $select: EVENT_FIELDS,
      $top: String(PAGE_SIZE),
    });
    let pages = mailboxes.map((mailbox) => ({
      mailbox,
      url: `${userPath(mailbox)}/calendarView?${query.toString()}`,
    }));
    for (let page = 1; pages.length > 0; page += 1) {
      const answers = await this.#batcher.run(
        pages.map(({ mailbox, url }) => ({ id: mailbox.userId, method: 'GET', url, mailbox: mailbox.email })),
      );
      const next: typeof pages = [];
      for (const { mailbox } of pages) {
        const answer = answer200(
          answers.get(mailbox.userId),
          `the calendar of ${mailbox.email}`,
          'Calendars.Read',
        );
        if (!answer.ok) {
          results.set(mailbox.userId, answer);
          continue;
        }
        const parsed = calendarViewPage.safeParse(answer.value);
        if (!parsed.success) {
          results.set(mailbox.userId, fail(unreadable(`the calendar of ${mailbox.email}`, parsed.error)));
          continue;
        }
        const appointments = collected.get(mailbox.userId) ?? [];
        collected.set(mailbox.userId, appointments);
        for (const event of parsed.data.value) {
          const appointment = toAppointment(event);
          if (appointment !== null) appointments.push(appointment);
        }
        const nextLink = parsed.data['@odata.nextLink'];
        if (nextLink && page < MAX_PAGES) next.push({ mailbox, url: this.#relative(nextLink) });
        else results.set(mailbox.userId, ok({ appointments }));
      }
      pages = next;
    }
    return results;
  }

  async readOutOfOffice(
    mailboxes: readonly Mailbox[],
  ): Promise<ReadonlyMap<string, Result<MailboxOutOfOffice>>> {
    const answers = await this.#batcher.run(
      mailboxes.map((mailbox) => ({
        id: mailbox.userId,
        method: 'GET',
        url: `${userPath(mailbox)}/mailboxSettings?$select=automaticRepliesSetting,timeZone`,
        mailbox: mailbox.email,
      })),
    );
    const results = new Map<string, Result<MailboxOutOfOffice>>();
    for (const mailbox of mailboxes) {
      const subject = `the out-of-office settings of ${mailbox.email}`;
      const answer = answer200(answers.get(mailbox.userId), subject, 'MailboxSettings.Read');
      if (!answer.ok) {
        results.set(mailbox.userId, answer);
        continue;
      }
      const parsed = mailboxSettings.safeParse(answer.value);
      const mapped = parsed.success ? toMailboxOutOfOffice(parsed.data) : null;
      results.set(
        mailbox.userId,
        mapped === null
          ? fail(unreadable(subject, parsed.success ? 'no scheduled times' : parsed.error))
          : ok(mapped),
      );
    }
    return results;
  }

  async subscribe(
    requests: readonly SubscribeRequest[],
  ): Promise<ReadonlyMap<string, Result<CalendarSubscription>>> {
    const results = new Map<string, Result<CalendarSubscription>>();
    const expiresAt = this.#now() + SUBSCRIPTION_LIFETIME_MS;
    const renewals: (SubscribeRequest & { existing: CalendarSubscription })[] = [];
    const creations: SubscribeRequest[] = [];
    /** Live subscriptions a new one replaces (their clientState would expire first): deleted once it exists. */
    const replaced: CalendarSubscription[] = [];
    for (const request of requests) {
      const existing = request.existing;
      if (existing === null || existing.source !== 'graph') creations.push(request);
      else if (this.#renewable(existing.clientState, expiresAt)) renewals.push({ ...request, existing });
      else {
        creations.push(request);
        replaced.push(existing);
      }
    }
    if (renewals.length > 0) {
      const answers = await this.#batcher.run(
        renewals.map(({ mailbox, existing }) => ({
          id: mailbox.userId,
          method: 'PATCH',
          url: `/subscriptions/${encodeURIComponent(existing.id)}`,
          body: { expirationDateTime: new Date(expiresAt).toISOString() } satisfies Subscription,
          mailbox: mailbox.email,
        })),
      );
      for (const request of renewals) {
        const answer = answers.get(request.mailbox.userId);
        // Gone (expired, or removed by Graph): a new one, with a new clientState.
        if (answer?.ok === true && answer.value.status === 404) {
          creations.push(request);
          continue;
        }
        results.set(
          request.mailbox.userId,
          this.#toSubscription(request, answer, request.existing.clientState),
        );
      }
    }
    if (creations.length > 0) {
      const callback = this.#callbackUrl;
      if (callback === null) {
        const error = new AppError(
          'config.invalid',
          'CALLBACK_URL is not set: Graph cannot notify this service',
        );
        for (const request of creations) results.set(request.mailbox.userId, fail(error));
        return results;
      }
      const mint = this.#clientState;
      const clientStates = new Map(
        await Promise.all(
          creations.map(async ({ mailbox }) => [mailbox.userId, await mint(mailbox.userId)] as const),
        ),
      );
      const answers = await this.#batcher.run(
        creations.map(({ mailbox }) => ({
          id: mailbox.userId,
          method: 'POST',
          url: '/subscriptions',
          body: {
            changeType: 'created,updated,deleted',
            notificationUrl: callbackUrl(callback, '/api/notifications/graph'),
            lifecycleNotificationUrl: callbackUrl(callback, '/api/notifications/graph/lifecycle'),
            // The resource is a string in the body, not a URL: Graph takes the user's id (or UPN) here too.
            resource: `users/${userKey(mailbox)}/events`,
            expirationDateTime: new Date(expiresAt).toISOString(),
            clientState: clientStates.get(mailbox.userId) ?? newClientState(),
          } satisfies Subscription,
          mailbox: mailbox.email,
        })),
      );
      for (const request of creations) {
        const userId = request.mailbox.userId;
        results.set(
          userId,
          this.#toSubscription(request, answers.get(userId), clientStates.get(userId) ?? null),
        );
      }
    }
    await this.#deleteReplaced(replaced.filter((old) => results.get(old.userId)?.ok === true));
    return results;
  }

  /** The old one of a recreated subscription; one left behind only notifies twice until it expires. */
  async #deleteReplaced(subscriptions: readonly CalendarSubscription[]): Promise<void> {
    if (subscriptions.length === 0) return;
    await this.#batcher
      .run(
        subscriptions.map((subscription) => ({
          id: subscription.userId,
          method: 'DELETE',
          url: `/subscriptions/${encodeURIComponent(subscription.id)}`,
          mailbox: `subscription:${subscription.id}`,
        })),
      )
      .catch(() => undefined);
  }

  async unsubscribe(subscription: CalendarSubscription): Promise<void> {
    if (subscription.source !== 'graph') return;
    const item: BatchItem = {
      id: '1',
      method: 'DELETE',
      url: `/subscriptions/${encodeURIComponent(subscription.id)}`,
      mailbox: `subscription:${subscription.id}`,
    };
    const answer = (await this.#batcher.run([item])).get('1');
    const subject = `subscription ${subscription.id}`;
    if (answer === undefined) throw graphStatusError(502, undefined, subject);
    if (!answer.ok) throw answer.error;
    const status = answer.value.status;
    if (status >= 400 && status !== 404) throw graphStatusError(status, answer.value.body, subject);
  }

  #toSubscription(
    request: SubscribeRequest,
    answer: Result<{ status: number; body: unknown }> | undefined,
    clientState: string | null,
  ): Result<CalendarSubscription> {
    const subject = `the subscription of ${request.mailbox.email}`;
    const checked = answer200(answer, subject, 'Calendars.Read');
    if (!checked.ok) return checked;
    const parsed = graphSubscription.safeParse(checked.value);
    if (!parsed.success) return fail(unreadable(subject, parsed.error));
    const expiresAt = Date.parse(parsed.data.expirationDateTime);
    return ok({
      id: parsed.data.id,
      userId: request.mailbox.userId,
      source: 'graph',
      expiresAt: Number.isFinite(expiresAt) ? expiresAt : null,
      clientState: parsed.data.clientState ?? clientState,
      watermark: null,
    });
  }

  /** A nextLink is absolute; inside $batch it must be relative to the version. */
  #relative(nextLink: string): string {
    const marker = '/v1.0';
    const at = nextLink.indexOf(marker);
    return at === -1 ? nextLink : nextLink.slice(at + marker.length);
  }
}

/**
 * Graph's key for the mailbox's user: the directory id once resolved; before that (the directory
 * could not be read) the address, which Graph takes when it is the UPN.
 */
function userKey(mailbox: Mailbox): string {
  return mailbox.directoryId ?? mailbox.email;
}

function userPath(mailbox: Mailbox): string {
  return `/users/${encodeURIComponent(userKey(mailbox))}`;
}

function callbackUrl(base: URL, path: string): string {
  return `${base.href.replace(/\/+$/, '')}${path}`;
}

/** 128 random bits per subscription: Graph echoes it, and a caller who does not know it is ignored. */
function newClientState(): string {
  return randomBytes(16).toString('base64url');
}

function answer200(
  answer: Result<{ status: number; body: unknown }> | undefined,
  subject: string,
  permission: GraphPermission,
): Result<unknown> {
  if (answer === undefined) return fail(graphStatusError(502, undefined, `${subject} (no answer)`));
  if (!answer.ok) return answer;
  if (answer.value.status >= 300)
    return fail(graphStatusError(answer.value.status, answer.value.body, subject, undefined, permission));
  return ok(answer.value.body);
}

function unreadable(subject: string, cause: unknown): AppError {
  return new AppError('exchange.protocol', `Microsoft Graph answered something unreadable for ${subject}`, {
    cause,
  });
}

/** The tenant of a token (its `tid` claim), for the "Connected" line under managed identity. */
function tenantOf(token: string): string | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = tokenClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return claims.success ? (claims.data.tid ?? null) : null;
  } catch {
    return null;
  }
}
