import { AppError, type ErrorCode, fail, ok, type Result } from '../../errors.ts';
import type { AdminLog } from '../../log/admin-log.ts';
import type { Appointment } from '../../presence/model.ts';
import { getTelemetry, type Telemetry } from '../../telemetry/telemetry.ts';
import type {
  CalendarSource,
  CalendarSubscription,
  CalendarWindow,
  Mailbox,
  MailboxCalendar,
  MailboxOutOfOffice,
  SubscribeRequest,
} from '../calendar-source.ts';
import { EWS_STATUS_FREQUENCY_MINUTES, ewsExpiresAt, ewsKeepsSubscription } from './ews-liveness.ts';
import { formatExchangeVersion, ianaOf, toAppointment, toOutOfOffice } from './ews-mapping.ts';
import {
  dictionaryValue,
  type EwsCalendarItem,
  findCalendarItemsBody,
  findItemResponse,
  getRegionalConfigurationBody,
  getServerTimeZonesBody,
  getUserOofSettingsBody,
  oofSettingsResponse,
  subscribeBody,
  subscribeResponse,
  userConfigurationResponse,
} from './ews-operations.ts';
import { type EwsFault, messageFault, readSoapAnswer, type ServerVersion, soapEnvelope } from './ews-soap.ts';
import type { EwsTransport } from './ews-transport.ts';

export interface EwsSourceOptions {
  /** CALLBACK_URL: push notifications go to CALLBACK_URL + /api/notifications/ews. */
  readonly callbackUrl: URL | null;
  /** Minutes between status pings (1–1440). */
  readonly statusFrequencyMinutes?: number;
  /** CalendarView MaxEntriesReturned; longer views are paged. */
  readonly pageSize?: number;
  /** The longest ErrorServerBusy back-off waited inline; a longer one fails with retryAfterSeconds. */
  readonly maxInlineBackOffMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where renewals are counted; by default the process's at the time (a no-op without a connection string). */
  readonly telemetry?: Telemetry;
  /** Where a mailbox whose time zone cannot be read is named (once). */
  readonly log?: AdminLog;
}

const MAX_BUSY_RETRIES = 3;
/** A CalendarView longer than 20 pages of 500 is a runaway, not a calendar. */
const MAX_PAGES = 20;
/** When a mailbox has no zone of its own, this many of its next items tell the zone they were made in. */
const ZONE_PROBE_ITEMS = 50;
const WEEK_MS = 7 * 24 * 3_600_000;
const WATERMARK_GONE = new Set([
  'ErrorInvalidWatermark',
  'ErrorExpiredSubscription',
  'ErrorInvalidSubscription',
]);

/** On-premises Exchange through EWS (SPEC §1): every mailbox operation impersonates its user. */
export class EwsCalendarSource implements CalendarSource {
  readonly kind = 'ews';
  readonly #transport: EwsTransport;
  readonly #callbackUrl: URL | null;
  readonly #statusFrequency: number;
  readonly #pageSize: number;
  readonly #maxInlineBackOffMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #telemetry: Telemetry | null;
  readonly #log: AdminLog | null;
  /** Mailbox time zones by address: read with the out-of-office, used to place all-day items. */
  readonly #zones = new Map<string, string>();
  /** The zone each mailbox's items were made in (their StartTimeZone), for a mailbox without one. */
  readonly #itemZones = new Map<string, string>();
  /** Mailboxes whose zone could not be read, named in the log once. */
  readonly #zoneUnknownLogged = new Set<string>();
  #version: ServerVersion | null = null;

  constructor(transport: EwsTransport, options: EwsSourceOptions) {
    this.#transport = transport;
    this.#callbackUrl = options.callbackUrl;
    this.#statusFrequency = options.statusFrequencyMinutes ?? EWS_STATUS_FREQUENCY_MINUTES;
    this.#pageSize = options.pageSize ?? 500;
    this.#maxInlineBackOffMs = options.maxInlineBackOffMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#telemetry = options.telemetry ?? null;
    this.#log = options.log ?? null;
  }

  /** The server's version as SPEC §6 writes it, once an answer carried it. */
  get version(): string | null {
    return this.#version === null ? null : formatExchangeVersion(this.#version);
  }

  async connect(log: AdminLog): Promise<void> {
    await log.write('Starting EWS');
    await log.write(`Using EWS URL: ${this.#transport.url.href}`);
    const answer = await this.#run(null, 'the connection check', getServerTimeZonesBody(), () =>
      ok(null),
    ).catch((error: unknown) =>
      fail(
        error instanceof AppError ? error : new AppError('internal', 'EWS check failed', { cause: error }),
      ),
    );
    if (!answer.ok) {
      await log.write(`Could not connect to EWS: ${answer.error.message}`, 'error');
      throw answer.error;
    }
    await log.write(`Connected to EWS Microsoft Exchange(${this.version ?? 'version unknown'})`);
  }

  async readCalendars(
    mailboxes: readonly Mailbox[],
    window: CalendarWindow,
  ): Promise<ReadonlyMap<string, Result<MailboxCalendar>>> {
    return this.#each(mailboxes, (mailbox) => this.#readCalendar(mailbox.email, window));
  }

  async readOutOfOffice(
    mailboxes: readonly Mailbox[],
  ): Promise<ReadonlyMap<string, Result<MailboxOutOfOffice>>> {
    return this.#each(mailboxes, async (mailbox) => {
      const subject = `the out-of-office settings of ${mailbox.email}`;
      const settings = await this.#run(
        mailbox.email,
        subject,
        getUserOofSettingsBody(mailbox.email),
        (body) => {
          const parsed = oofSettingsResponse.safeParse(body);
          if (!parsed.success) return fail('an unreadable GetUserOofSettings answer');
          const answer = parsed.data.GetUserOofSettingsResponse;
          const problem = messageFault(answer.ResponseMessage);
          if (problem !== null) return fail(problem);
          const outOfOffice = answer.OofSettings === undefined ? null : toOutOfOffice(answer.OofSettings);
          return outOfOffice === null ? fail('unreadable out-of-office settings') : ok(outOfOffice);
        },
      );
      if (!settings.ok) return settings;
      // Read afresh: this is the periodic refresh of the mailbox's settings, the zone included.
      const zone = await this.#placementZone(mailbox.email, true, () => this.#probeItemZone(mailbox.email));
      return ok({ outOfOffice: settings.value, timeZone: zone ?? 'UTC' });
    });
  }

  async subscribe(
    requests: readonly SubscribeRequest[],
  ): Promise<ReadonlyMap<string, Result<CalendarSubscription>>> {
    const now = this.#now();
    return this.#each(
      requests.map((request) => ({ ...request, userId: request.mailbox.userId })),
      async ({ mailbox, existing }) => {
        // Kept until its deadline nears, whatever its pings say; then re-subscribed from its watermark.
        if (existing !== null && existing.source === 'ews' && ewsKeepsSubscription(existing, now)) {
          return ok(existing);
        }
        if (this.#callbackUrl === null) {
          return fail(
            new AppError('config.invalid', 'CALLBACK_URL is not set: Exchange cannot notify this service'),
          );
        }
        const url = `${this.#callbackUrl.href.replace(/\/+$/, '')}/api/notifications/ews`;
        const resumeFrom = existing?.source === 'ews' ? existing.watermark : null;
        let answer = await this.#subscribeOnce(mailbox.email, url, resumeFrom);
        let resumed = resumeFrom !== null;
        if (!answer.ok && resumeFrom !== null) {
          const code = ewsCodeOf(answer.error);
          // The watermark is too old (Exchange keeps events for a while only): start afresh.
          if (code !== null && WATERMARK_GONE.has(code)) {
            answer = await this.#subscribeOnce(mailbox.email, url, null);
            resumed = false;
          }
        }
        // A first subscription is no renewal; one that replaces a lapsed one is.
        if (existing !== null) {
          (this.#telemetry ?? getTelemetry()).subscriptionRenewed(
            'ews',
            !answer.ok ? 'failed' : resumed ? 'renewed' : 'recreated',
          );
        }
        if (!answer.ok) return answer;
        return ok({
          id: answer.value.id,
          userId: mailbox.userId,
          source: 'ews',
          expiresAt: ewsExpiresAt(now),
          clientState: null,
          watermark: answer.value.watermark,
        });
      },
    );
  }

  /**
   * EWS has no operation that ends a push subscription (Unsubscribe is for pull and streaming
   * ones): once the caller forgets the id, the receiver answers the next notification or status
   * ping with SubscriptionStatus Unsubscribe, and Exchange deletes it.
   */
  async unsubscribe(_subscription: CalendarSubscription): Promise<void> {}

  async #subscribeOnce(
    email: string,
    url: string,
    watermark: string | null,
  ): Promise<Result<{ id: string; watermark: string | null }>> {
    return this.#run(
      email,
      `the subscription of ${email}`,
      subscribeBody(url, this.#statusFrequency, watermark),
      (body) => {
        const parsed = subscribeResponse.safeParse(body);
        if (!parsed.success) return fail('an unreadable Subscribe answer');
        const message = parsed.data.SubscribeResponse.ResponseMessages.SubscribeResponseMessage;
        const problem = messageFault(message);
        if (problem !== null) return fail(problem);
        if (message.SubscriptionId === undefined || message.SubscriptionId === '')
          return fail('no SubscriptionId');
        return ok({ id: message.SubscriptionId, watermark: message.Watermark ?? null });
      },
    );
  }

  async #readCalendar(email: string, window: CalendarWindow): Promise<Result<MailboxCalendar>> {
    const subject = `the calendar of ${email}`;
    const byId = new Map<string, EwsCalendarItem>();
    let start = window.start;
    for (let page = 0; ; page += 1) {
      const answer = await this.#run(
        email,
        subject,
        findCalendarItemsBody({ start, end: window.end }, this.#pageSize),
        readFindItem,
      );
      if (!answer.ok) return answer;
      let added = 0;
      let lastStart = start;
      for (const item of answer.value.items) {
        if (!byId.has(item.ItemId['@_Id'])) added += 1;
        byId.set(item.ItemId['@_Id'], item);
        const itemStart = Date.parse(item.Start);
        if (Number.isFinite(itemStart) && itemStart > lastStart) lastStart = itemStart;
      }
      if (answer.value.complete) break;
      // CalendarView has no offset: the next page starts at the last start seen (duplicates dropped).
      if (added === 0 || lastStart <= start || page + 1 >= MAX_PAGES) {
        return fail(
          new AppError('exchange.protocol', `EWS calendar view of ${email} cannot be paged further`),
        );
      }
      start = lastStart;
    }
    const items = [...byId.values()];
    const itemZone = commonZone(items);
    if (itemZone !== null) this.#itemZones.set(email.toLowerCase(), itemZone);
    const needsZone = items.some((item) => item.IsAllDayEvent === 'true' && ianaOf(zoneId(item)) === null);
    let zone = this.#zones.get(email.toLowerCase()) ?? null;
    if (needsZone && zone === null) zone = await this.#placementZone(email, false, async () => itemZone);
    const appointments: Appointment[] = [];
    for (const item of items) {
      const appointment = toAppointment(item, zone);
      if (appointment !== null) appointments.push(appointment);
    }
    return ok({ appointments });
  }

  /**
   * The zone all-day items of a mailbox are placed in: its own (cached unless `fresh`). A mailbox
   * whose zone cannot be read (never opened in Outlook on the web: ErrorItemNotFound) keeps the
   * zone last read, else the one its items name, else none: it loses neither its out-of-office nor
   * its calendar for it, and the log names it once.
   */
  async #placementZone(
    email: string,
    fresh: boolean,
    fromItems: () => Promise<string | null>,
  ): Promise<string | null> {
    const key = email.toLowerCase();
    const known = this.#zones.get(key) ?? null;
    if (known !== null && !fresh) return known;
    const read = await this.#readMailboxZone(email).catch((error: unknown) =>
      fail(
        error instanceof AppError
          ? error
          : new AppError('internal', 'EWS zone read failed', { cause: error }),
      ),
    );
    if (read.ok && read.value !== null) {
      this.#zones.set(key, read.value);
      return read.value;
    }
    const fallback = known ?? (await fromItems());
    if (!this.#zoneUnknownLogged.has(key)) {
      this.#zoneUnknownLogged.add(key);
      const why = read.ok ? 'none is set' : (ewsCodeOf(read.error) ?? read.error.message);
      const instead =
        known !== null
          ? `keeping ${known}`
          : fallback !== null
            ? `using the zone its appointments name, ${fallback}`
            : 'using UTC';
      // A log outage must not cost the read.
      await this.#log
        ?.write(`Could not read the time zone of ${email} (${why}): ${instead}`, 'warning')
        .catch(() => undefined);
    }
    return fallback;
  }

  /** The mailbox's own time zone (OWA.UserOptions of its root folder), null when none is set. */
  async #readMailboxZone(email: string): Promise<Result<string | null>> {
    return this.#run(email, `the time zone of ${email}`, getRegionalConfigurationBody(), (body) => {
      const parsed = userConfigurationResponse.safeParse(body);
      if (!parsed.success) return fail('an unreadable GetUserConfiguration answer');
      const message =
        parsed.data.GetUserConfigurationResponse.ResponseMessages.GetUserConfigurationResponseMessage;
      const problem = messageFault(message);
      if (problem !== null) return fail(problem);
      return ok(dictionaryValue(parsed.data, 'timezone'));
    });
  }

  /** The zone a mailbox's items name: known from its last calendar read, else from its next week's items. */
  async #probeItemZone(email: string): Promise<string | null> {
    const known = this.#itemZones.get(email.toLowerCase());
    if (known !== undefined) return known;
    const now = this.#now();
    const answer = await this.#run(
      email,
      `the calendar of ${email}`,
      findCalendarItemsBody({ start: now, end: now + WEEK_MS }, ZONE_PROBE_ITEMS),
      readFindItem,
    ).catch(() => null);
    const zone = answer?.ok === true ? commonZone(answer.value.items) : null;
    if (zone !== null) this.#itemZones.set(email.toLowerCase(), zone);
    return zone;
  }

  /**
   * One EWS call, impersonating `impersonate` (with X-AnchorMailbox, which routes the call to
   * that mailbox's server), waiting out ErrorServerBusy as the server asks. Answers a Result for
   * what concerns this mailbox; throws AppError when Exchange itself is out of reach or refuses us.
   */
  async #run<T>(
    impersonate: string | null,
    subject: string,
    body: string,
    read: (body: Readonly<Record<string, unknown>>) => Result<T, EwsFault | string>,
  ): Promise<Result<T>> {
    const headers: Record<string, string> = impersonate === null ? {} : { 'x-anchormailbox': impersonate };
    const envelope = soapEnvelope(body, impersonate);
    for (let attempt = 0; ; attempt += 1) {
      const http = await this.#transport.post(envelope, headers);
      const answer = readSoapAnswer(http.body);
      if (answer.ok && answer.value.version !== null) this.#version = answer.value.version;
      const result = answer.ok ? read(answer.value.body) : answer;
      if (result.ok) return result;
      const problem = result.error;
      if (typeof problem === 'string') {
        const code: ErrorCode = http.status >= 500 ? 'exchange.unreachable' : 'exchange.protocol';
        const error = new AppError(code, `EWS answered HTTP ${http.status} with ${problem} for ${subject}`);
        // Not even a SOAP envelope: the server (or a proxy) failed, not this mailbox.
        if (!answer.ok) throw error;
        return fail(error);
      }
      if (problem.responseCode === 'ErrorServerBusy') {
        const wait = problem.backOffMs ?? 1_000;
        if (attempt < MAX_BUSY_RETRIES && wait <= this.#maxInlineBackOffMs) {
          await this.#sleep(wait);
          continue;
        }
      }
      return fail(faultError(problem, subject));
    }
  }

  /** Runs `work` for each item, a few at a time (one per transport lane), keyed by userId. */
  async #each<I extends { readonly userId: string }, T>(
    items: readonly I[],
    work: (item: I) => Promise<Result<T>>,
  ): Promise<Map<string, Result<T>>> {
    const results = new Map<string, Result<T>>();
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        if (item !== undefined) results.set(item.userId, await work(item));
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, items.length) }, worker));
    return results;
  }
}

function readFindItem(
  body: Readonly<Record<string, unknown>>,
): Result<{ items: readonly EwsCalendarItem[]; complete: boolean }, EwsFault | string> {
  const parsed = findItemResponse.safeParse(body);
  if (!parsed.success) return fail('an unreadable FindItem answer');
  const message = parsed.data.FindItemResponse.ResponseMessages.FindItemResponseMessage;
  const problem = messageFault(message);
  if (problem !== null) return fail(problem);
  const folder = message.RootFolder;
  return ok({
    items: folder?.Items?.CalendarItem ?? [],
    complete: folder === undefined || folder['@_IncludesLastItemInRange'] === 'true',
  });
}

/** The zone most of `items` were made in (a known Windows or IANA name), or null. */
function commonZone(items: readonly EwsCalendarItem[]): string | null {
  const counts = new Map<string, number>();
  for (const item of items) {
    const zone = zoneId(item);
    if (zone !== null && ianaOf(zone) !== null) counts.set(zone, (counts.get(zone) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [zone, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = zone;
  return best;
}

function zoneId(item: EwsCalendarItem): string | null {
  return item.StartTimeZone === '' || item.StartTimeZone === undefined
    ? null
    : (item.StartTimeZone['@_Id'] ?? null);
}

const UNAUTHORIZED = new Set([
  'ErrorImpersonateUserDenied',
  'ErrorImpersonationDenied',
  'ErrorImpersonationFailed',
  'ErrorAccessDenied',
]);
const UNAVAILABLE = new Set([
  'ErrorMailboxStoreUnavailable',
  'ErrorMailboxMoveInProgress',
  'ErrorInternalServerTransientError',
  'ErrorConnectionFailed',
  'ErrorTimeoutExpired',
]);

function faultError(fault: EwsFault, subject: string): AppError {
  const code: ErrorCode =
    fault.responseCode === 'ErrorServerBusy'
      ? 'exchange.throttled'
      : fault.responseCode === 'ErrorNonExistentMailbox'
        ? 'exchange.mailbox_not_found'
        : UNAUTHORIZED.has(fault.responseCode)
          ? 'exchange.unauthorized'
          : UNAVAILABLE.has(fault.responseCode)
            ? 'exchange.unreachable'
            : 'exchange.protocol';
  return new AppError(code, `EWS answered ${fault.responseCode} for ${subject}`, {
    cause: fault,
    ...(fault.backOffMs === null ? {} : { retryAfterSeconds: Math.ceil(fault.backOffMs / 1000) }),
  });
}

function ewsCodeOf(error: AppError): string | null {
  const cause: unknown = error.cause;
  if (typeof cause !== 'object' || cause === null || !('responseCode' in cause)) return null;
  return typeof cause.responseCode === 'string' ? cause.responseCode : null;
}
