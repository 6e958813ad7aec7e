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
import { EWS_STATUS_FREQUENCY_MINUTES, ewsExpiresAt } from './ews-liveness.ts';
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
  /** Minutes between status pings (1–1440); the liveness of a subscription assumes at most 30. */
  readonly statusFrequencyMinutes?: number;
  /** CalendarView MaxEntriesReturned; longer views are paged. */
  readonly pageSize?: number;
  /** The longest ErrorServerBusy back-off waited inline; a longer one fails with retryAfterSeconds. */
  readonly maxInlineBackOffMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where renewals are counted; by default the process's at the time (a no-op without a connection string). */
  readonly telemetry?: Telemetry;
}

const MAX_BUSY_RETRIES = 3;
/** A CalendarView longer than 20 pages of 500 is a runaway, not a calendar. */
const MAX_PAGES = 20;
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
  /** Mailbox time zones by address: read with the out-of-office, used to place all-day items. */
  readonly #zones = new Map<string, string>();
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
      const zone = await this.#mailboxZone(mailbox.email, true);
      if (!zone.ok) return zone;
      return ok({ outOfOffice: settings.value, timeZone: zone.value ?? 'UTC' });
    });
  }

  async subscribe(
    requests: readonly SubscribeRequest[],
  ): Promise<ReadonlyMap<string, Result<CalendarSubscription>>> {
    const now = this.#now();
    return this.#each(
      requests.map((request) => ({ ...request, userId: request.mailbox.userId })),
      async ({ mailbox, existing }) => {
        // A push subscription lives as long as Exchange reaches us; one heard from lately is kept.
        if (existing !== null && existing.source === 'ews' && (existing.expiresAt ?? Infinity) > now) {
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
    const needsZone = items.some((item) => item.IsAllDayEvent === 'true' && ianaOf(zoneId(item)) === null);
    let zone = this.#zones.get(email.toLowerCase()) ?? null;
    if (needsZone && zone === null) {
      const read = await this.#mailboxZone(email, false);
      if (!read.ok) return read;
      zone = read.value;
    }
    const appointments: Appointment[] = [];
    for (const item of items) {
      const appointment = toAppointment(item, zone);
      if (appointment !== null) appointments.push(appointment);
    }
    return ok({ appointments });
  }

  /** The mailbox's time zone (null when the mailbox has none configured); cached unless `fresh`. */
  async #mailboxZone(email: string, fresh: boolean): Promise<Result<string | null>> {
    const key = email.toLowerCase();
    const known = this.#zones.get(key);
    if (known !== undefined && !fresh) return ok(known);
    const answer = await this.#run(
      email,
      `the time zone of ${email}`,
      getRegionalConfigurationBody(),
      (body) => {
        const parsed = userConfigurationResponse.safeParse(body);
        if (!parsed.success) return fail('an unreadable GetUserConfiguration answer');
        const message =
          parsed.data.GetUserConfigurationResponse.ResponseMessages.GetUserConfigurationResponseMessage;
        // A mailbox never opened in Outlook on the web has no OWA.UserOptions: no zone, not an error.
        if (message.ResponseCode === 'ErrorItemNotFound') return ok(null);
        const problem = messageFault(message);
        if (problem !== null) return fail(problem);
        return ok(dictionaryValue(parsed.data, 'timezone'));
      },
    );
    if (answer.ok && answer.value !== null) this.#zones.set(key, answer.value);
    return answer;
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
