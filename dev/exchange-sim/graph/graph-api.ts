import { DateTime } from 'luxon';
import { z } from 'zod';
import {
  ianaZone,
  type Mailboxes,
  type SimEvent,
  type SimMailboxSettings,
  type SimUser,
} from '../mailboxes.ts';
import { servedOn } from '../organization-split.ts';
import type { Faults, RequestKind } from './faults.ts';
import { graphError, json, type SimRequest, type SimResponse } from './http.ts';
import type { Subscriptions } from './subscriptions.ts';
import { parseUserFilter } from './user-filter.ts';

/**
 * The Microsoft Graph v1.0 resources the service uses, answered as Graph answers them:
 * users, organization, calendarView (paged, UTC unless `Prefer: outlook.timezone`),
 * mailboxSettings, subscriptions and `$batch` (each sub-request throttled on its own).
 */

export interface GraphApiOptions {
  readonly mailboxes: Mailboxes;
  readonly subscriptions: Subscriptions;
  readonly faults: Faults;
  readonly tenantId: string;
  readonly origin: () => string;
  /** Graph sometimes capitalises mailboxSettings enums ("Scheduled"); clients must cope. */
  readonly capitalizedMailboxSettings: () => boolean;
}

const MAX_BATCH = 20;
const BatchBody = z.object({
  requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z.string().min(1),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});

type Route = { kind: RequestKind; mailbox: string | null };

/**
 * The application permissions (any one of each list) an app-only request needs, as Graph's
 * reference lists them; a token without one gets 403. The directory answers in its own words.
 */
const CALENDARS = ['Calendars.Read', 'Calendars.ReadWrite'];
const NEEDED: Partial<Record<RequestKind, readonly string[]>> = {
  calendarView: CALENDARS,
  events: CALENDARS,
  mailboxSettings: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
};

function accessDenied(kind: RequestKind): SimResponse {
  return kind === 'users'
    ? graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
    : graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}

/** Whether a token's roles allow reading calendars (subscriptions to events need it too). */
export function mayReadCalendars(roles: ReadonlySet<string>): boolean {
  return CALENDARS.some((role) => roles.has(role));
}

export class GraphApi {
  readonly #o: GraphApiOptions;

  constructor(options: GraphApiOptions) {
    this.#o = options;
  }

  /** The kind of a request (for the counters) and the mailbox it touches (for the concurrency limit). */
  route(path: string): Route {
    if (path === '/$batch') return { kind: 'batch', mailbox: null };
    if (path.startsWith('/subscriptions')) return { kind: 'subscriptions', mailbox: null };
    if (path.startsWith('/organization')) return { kind: 'organization', mailbox: null };
    const m = /^\/users\/([^/]+)\/(calendar\/)?(calendarView|events|mailboxSettings)/i.exec(path);
    if (m?.[1] && m[3]) {
      const kind =
        m[3].toLowerCase() === 'calendarview'
          ? 'calendarView'
          : m[3].toLowerCase() === 'events'
            ? 'events'
            : 'mailboxSettings';
      return { kind, mailbox: decodeURIComponent(m[1]) };
    }
    if (path.startsWith('/users')) return { kind: 'users', mailbox: null };
    return { kind: 'other', mailbox: null };
  }

  /**
   * One operation, with its own throttling and mailbox slot. `$batch` calls this for each
   * sub-request, so a 429 lands inside the 200 batch answer as Graph does it.
   */
  async execute(
    req: SimRequest,
    slot?: { release: () => void } | { refused: SimResponse },
  ): Promise<SimResponse> {
    const route = this.route(req.path);
    this.#o.faults.countOperation(route.kind);
    if (route.kind === 'batch') return this.#batch(req);
    const needed = NEEDED[route.kind];
    if (needed !== undefined && !needed.some((role) => req.roles.has(role))) {
      if (slot && 'release' in slot) slot.release();
      return accessDenied(route.kind);
    }
    const throttled = this.#o.faults.maybeThrottle();
    if (throttled) {
      if (slot && 'release' in slot) slot.release();
      return throttled;
    }
    const entered =
      slot ?? (route.mailbox ? this.#o.faults.enterMailbox(req.appId, route.mailbox) : undefined);
    if (entered && 'refused' in entered) return entered.refused;
    try {
      return await this.#dispatch(req, route);
    } finally {
      entered?.release();
    }
  }

  async #dispatch(req: SimRequest, route: Route): Promise<SimResponse> {
    const { method, path } = req;
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (route.kind === 'subscriptions') return this.#subscriptions(req, segments);
    if (method !== 'GET')
      return graphError(405, 'Request_BadRequest', `The method ${method} is not supported here.`);
    if (route.kind === 'organization') return this.#organization();
    if (segments[0]?.toLowerCase() !== 'users')
      return graphError(400, 'BadRequest', `Resource not found for the segment '${segments[0] ?? ''}'.`);
    const userKey = segments[1];
    if (userKey === undefined) return this.#users(req);
    // Graph's key for a user is the object id or the UPN; a mail address or alias is not one.
    const user = this.#o.mailboxes.findByKey(userKey);
    if (segments.length === 2) {
      return user
        ? json(this.#userView(user))
        : graphError(
            404,
            'Request_ResourceNotFound',
            `Resource '${userKey}' does not exist or one of its queried reference-property objects are not present.`,
          );
    }
    if (!user) return graphError(404, 'ErrorInvalidUser', `The requested user '${userKey}' is invalid.`);
    if (!user.hasMailbox || !servedOn(this.#o.mailboxes, user, 'exchangeOnline')) {
      return graphError(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      );
    }
    const rest =
      segments[2]?.toLowerCase() === 'calendar' && segments.length > 3
        ? segments.slice(3)
        : segments.slice(2);
    const resource = rest[0]?.toLowerCase();
    if (resource === 'calendarview') return this.#calendarView(req, user);
    if (resource === 'events') return this.#events(req, user, rest[1]);
    if (resource === 'mailboxsettings') return this.#mailboxSettings(user, rest[1]);
    return graphError(400, 'BadRequest', `Resource not found for the segment '${rest[0] ?? ''}'.`);
  }

  #organization(): SimResponse {
    return json({
      '@odata.context': `${this.#o.origin()}/v1.0/$metadata#organization`,
      value: [
        {
          id: this.#o.tenantId,
          displayName: 'Contoso (simulated)',
          tenantType: 'AAD',
          countryLetterCode: 'DE',
          verifiedDomains: [
            {
              capabilities: 'Email, OfficeCommunicationsOnline',
              isDefault: true,
              isInitial: true,
              name: 'contoso.onmicrosoft.com',
              type: 'Managed',
            },
          ],
        },
      ],
    });
  }

  #users(req: SimRequest): SimResponse {
    const filterText = param(req.query, '$filter');
    const filter = filterText === null ? null : parseUserFilter(filterText);
    if (filterText !== null && filter === null) {
      return graphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
    }
    const all = this.#o.mailboxes.users().filter((user) => filter?.(user) ?? true);
    const top = clamp(intParam(req.query, '$top') ?? 100, 1, 999);
    const skip = Number(param(req.query, '$skiptoken')?.replace(/^s/, '') ?? 0) || 0;
    const page = all.slice(skip, skip + top);
    const select = selectFields(req.query);
    const next =
      skip + top < all.length ? this.#link('/users', req.query, { $skiptoken: `s${skip + top}` }) : undefined;
    return json({
      '@odata.context': `${this.#o.origin()}/v1.0/$metadata#users`,
      ...(next ? { '@odata.nextLink': next } : {}),
      value: page.map((u) => pick(this.#userView(u, select), select)),
    });
  }

  #calendarView(req: SimRequest, user: SimUser): SimResponse {
    const startText = param(req.query, 'startDateTime');
    const endText = param(req.query, 'endDateTime');
    if (!startText || !endText) {
      return graphError(
        400,
        'ErrorInvalidParameter',
        'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
      );
    }
    const start = parseWindowInstant(startText);
    const end = parseWindowInstant(endText);
    if (start === null || end === null) {
      return graphError(
        400,
        'ErrorInvalidParameter',
        `The value '${start === null ? startText : endText}' of parameter 'StartDateTime' or 'EndDateTime' is invalid.`,
      );
    }
    const pageSize = clamp(intParam(req.query, '$top') ?? maxPageSize(req.headers) ?? 10, 1, 1000);
    const skip = intParam(req.query, '$skip') ?? 0;
    const events = this.#o.mailboxes.calendarView(user.id, start, end);
    const page = events.slice(skip, skip + pageSize);
    const zone = preferredZone(req.headers);
    const select = selectFields(req.query);
    const next =
      skip + pageSize < events.length
        ? this.#link(`/users/${user.id}/calendarView`, req.query, {
            $top: String(pageSize),
            $skip: String(skip + pageSize),
          })
        : undefined;
    const selectSuffix = select ? `(${[...select].join(',')})` : '';
    return {
      status: 200,
      headers: zone ? { 'preference-applied': `outlook.timezone="${zone}"` } : {},
      body: {
        '@odata.context': `${this.#o.origin()}/v1.0/$metadata#users('${user.id}')/calendarView${selectSuffix}`,
        value: page.map((e) => pick(this.#eventView(user, e, zone), select)),
        ...(next ? { '@odata.nextLink': next } : {}),
      },
    };
  }

  #events(req: SimRequest, user: SimUser, eventId: string | undefined): SimResponse {
    const zone = preferredZone(req.headers);
    const select = selectFields(req.query);
    if (eventId !== undefined) {
      const event = this.#o.mailboxes.event(user.id, eventId);
      return event
        ? json(pick(this.#eventView(user, event, zone), select))
        : graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    }
    const top = clamp(intParam(req.query, '$top') ?? 10, 1, 1000);
    const skip = intParam(req.query, '$skip') ?? 0;
    const events = this.#o.mailboxes.events(user.id);
    const next =
      skip + top < events.length
        ? this.#link(`/users/${user.id}/events`, req.query, { $top: String(top), $skip: String(skip + top) })
        : undefined;
    return json({
      '@odata.context': `${this.#o.origin()}/v1.0/$metadata#users('${user.id}')/events`,
      value: events.slice(skip, skip + top).map((e) => pick(this.#eventView(user, e, zone), select)),
      ...(next ? { '@odata.nextLink': next } : {}),
    });
  }

  #mailboxSettings(user: SimUser, part: string | undefined): SimResponse {
    const view = mailboxSettingsView(
      this.#o.mailboxes.mailboxSettings(user.id),
      this.#o.capitalizedMailboxSettings(),
    );
    const context = `${this.#o.origin()}/v1.0/$metadata#users('${user.id}')/mailboxSettings`;
    if (part === undefined) return json({ '@odata.context': context, ...view });
    if (part === 'automaticRepliesSetting') {
      return json({
        '@odata.context': `${context}/automaticRepliesSetting`,
        ...view.automaticRepliesSetting,
      });
    }
    if (part === 'timeZone') return json({ '@odata.context': `${context}/timeZone`, value: view.timeZone });
    return graphError(400, 'BadRequest', `Resource not found for the segment '${part}'.`);
  }

  async #subscriptions(req: SimRequest, segments: readonly string[]): Promise<SimResponse> {
    const subs = this.#o.subscriptions;
    const id = segments[1];
    if (id === undefined && req.method === 'POST')
      return subs.create(req.appId, req.body, mayReadCalendars(req.roles));
    if (id === undefined && req.method === 'GET') return subs.list(req.appId);
    if (id !== undefined && req.method === 'GET') return subs.get(req.appId, id);
    if (id !== undefined && req.method === 'PATCH') return subs.update(req.appId, id, req.body);
    if (id !== undefined && req.method === 'DELETE') return subs.delete(req.appId, id);
    return graphError(405, 'Request_BadRequest', `The method ${req.method} is not supported here.`);
  }

  async #batch(req: SimRequest): Promise<SimResponse> {
    if (req.method !== 'POST') return graphError(405, 'BadRequest', 'Batch requests must be POST.');
    const parsed = BatchBody.safeParse(req.body);
    if (!parsed.success) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    const requests = parsed.data.requests;
    if (requests.length === 0 || requests.length > MAX_BATCH) {
      return graphError(
        400,
        'BadRequest',
        `Number of requests in the batch must be between 1 and ${MAX_BATCH}.`,
      );
    }
    if (new Set(requests.map((r) => r.id)).size !== requests.length) {
      return graphError(400, 'BadRequest', 'Batch request ids must be unique.');
    }
    const subRequests = requests.map((r) => {
      const url = new URL(r.url.startsWith('/') ? r.url : `/${r.url}`, 'https://batch.invalid');
      const path = url.pathname.replace(/^\/v1\.0(?=\/)/, '');
      const sub: SimRequest = {
        method: r.method.toUpperCase(),
        path,
        query: url.searchParams,
        headers: lowerKeys(r.headers ?? {}),
        body: r.body,
        appId: req.appId,
        roles: req.roles,
      };
      return { id: r.id, dependsOn: r.dependsOn ?? [], sub };
    });
    // Slots are taken before any sub-request runs, so a batch that puts five requests on one
    // mailbox sees the fifth refused, as Outlook's concurrency limit does.
    const slots = subRequests.map(({ sub }) => {
      const route = this.route(sub.path);
      return route.mailbox ? this.#o.faults.enterMailbox(req.appId, route.mailbox) : undefined;
    });
    const results = new Map<string, Promise<SimResponse>>();
    subRequests.forEach(({ id, dependsOn, sub }, index) => {
      const slot = slots[index];
      const run = async (): Promise<SimResponse> => {
        const deps = await Promise.all(
          dependsOn.map(
            (d) =>
              results.get(d) ?? Promise.resolve(graphError(400, 'BadRequest', `Unknown dependency ${d}.`)),
          ),
        );
        if (deps.some((d) => d.status >= 400)) {
          if (slot && 'release' in slot) slot.release();
          return graphError(424, 'FailedDependency', 'Failed dependency.');
        }
        if (sub.path === '/$batch')
          return graphError(400, 'BadRequest', 'Nested batch requests are not supported.');
        return this.execute(sub, slot);
      };
      results.set(id, run());
    });
    const responses = await Promise.all(
      subRequests.map(async ({ id }) => {
        const r = (await results.get(id)) ?? graphError(500, 'InternalServerError', 'lost');
        return {
          id,
          status: r.status,
          headers: {
            ...(r.body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...capitaliseHeaders(r.headers ?? {}),
          },
          ...(r.body === undefined ? {} : { body: r.body }),
        };
      }),
    );
    return json({ responses });
  }

  #link(path: string, query: URLSearchParams, overrides: Record<string, string>): string {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(overrides)) {
      for (const existing of [...next.keys()])
        if (existing.toLowerCase() === k.toLowerCase()) next.delete(existing);
      next.set(k, v);
    }
    return `${this.#o.origin()}/v1.0${path}?${next.toString().replaceAll('%24', '$')}`;
  }

  /** The default properties, and `proxyAddresses` only when `$select` asks for it (as Graph does). */
  #userView(user: SimUser, select: ReadonlySet<string> | null = null): Record<string, unknown> {
    const [givenName, surname] = user.displayName.split(' ');
    return {
      ...(select?.has('proxyAddresses')
        ? { proxyAddresses: user.hasMailbox ? user.proxyAddresses : [] }
        : {}),
      businessPhones: [],
      displayName: user.displayName,
      givenName: givenName ?? null,
      jobTitle: null,
      mail: user.hasMailbox ? user.mail : null,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-US',
      surname: surname ?? null,
      userPrincipalName: user.userPrincipalName,
      id: user.id,
    };
  }

  #eventView(user: SimUser, event: SimEvent, zone: string | null): Record<string, unknown> {
    const when = (d: SimEvent['start']) => {
      if (event.isAllDay) return { dateTime: d.dateTime, timeZone: zone ?? d.timeZone };
      if (!zone) return d;
      const local = DateTime.fromMillis(Date.parse(`${d.dateTime.slice(0, 23)}Z`), { zone: ianaZone(zone) });
      return { dateTime: `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`, timeZone: zone };
    };
    const tz = this.#o.mailboxes.mailboxSettings(user.id).timeZone;
    return {
      '@odata.etag': `W/"${event.changeKey}"`,
      id: event.id,
      createdDateTime: event.createdDateTime,
      lastModifiedDateTime: event.lastModifiedDateTime,
      changeKey: event.changeKey,
      categories: [],
      transactionId: null,
      originalStartTimeZone: tz,
      originalEndTimeZone: tz,
      iCalUId: event.iCalUId,
      reminderMinutesBeforeStart: 15,
      isReminderOn: true,
      hasAttachments: false,
      subject: event.subject,
      bodyPreview: '',
      importance: 'normal',
      sensitivity: event.sensitivity,
      isAllDay: event.isAllDay,
      isCancelled: event.isCancelled,
      isOrganizer: event.isOrganizer,
      responseRequested: true,
      seriesMasterId: null,
      showAs: event.showAs,
      type: event.type,
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
      onlineMeetingUrl: null,
      isOnlineMeeting: false,
      onlineMeetingProvider: 'unknown',
      allowNewTimeProposals: true,
      isDraft: false,
      hideAttendees: false,
      responseStatus: event.responseStatus,
      body: { contentType: 'html', content: '' },
      start: when(event.start),
      end: when(event.end),
      location: {
        displayName: '',
        locationType: 'default',
        uniqueIdType: 'unknown',
        address: {},
        coordinates: {},
      },
      locations: [],
      recurrence: null,
      attendees: [],
      organizer: { emailAddress: { name: user.displayName, address: user.mail } },
    };
  }
}

function mailboxSettingsView(settings: SimMailboxSettings, capitalise: boolean) {
  const enumText = (value: string) => (capitalise ? value.charAt(0).toUpperCase() + value.slice(1) : value);
  const replies = settings.automaticRepliesSetting;
  return {
    archiveFolder: 'AAMkAGI2AAAAAAEMAAA=',
    timeZone: settings.timeZone,
    delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
    dateFormat: 'dd.MM.yyyy',
    timeFormat: 'HH:mm',
    userPurpose: 'user',
    automaticRepliesSetting: {
      status: enumText(replies.status),
      externalAudience: enumText(replies.externalAudience),
      scheduledStartDateTime: replies.scheduledStartDateTime,
      scheduledEndDateTime: replies.scheduledEndDateTime,
      internalReplyMessage: replies.internalReplyMessage,
      externalReplyMessage: replies.externalReplyMessage,
    },
    language: { locale: 'en-US', displayName: 'English (United States)' },
    workingHours: {
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      startTime: '08:00:00.0000000',
      endTime: '17:00:00.0000000',
      timeZone: { name: settings.timeZone },
    },
  };
}

/** Query options are case-insensitive in Graph ($top, $TOP, startdatetime...). */
function param(query: URLSearchParams, name: string): string | null {
  const wanted = name.toLowerCase();
  for (const [k, v] of query) if (k.toLowerCase() === wanted) return v;
  return null;
}

function intParam(query: URLSearchParams, name: string): number | null {
  const text = param(query, name);
  if (text === null) return null;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function selectFields(query: URLSearchParams): ReadonlySet<string> | null {
  const text = param(query, '$select');
  if (!text) return null;
  return new Set(
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** `$select` keeps the named fields; Graph always adds `id` and the etag. */
function pick(view: Record<string, unknown>, select: ReadonlySet<string> | null): Record<string, unknown> {
  if (!select) return view;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(view)) {
    if (k === 'id' || k === '@odata.etag' || select.has(k)) out[k] = v;
  }
  return out;
}

/** Window bounds: ISO 8601; without an offset Graph reads them as UTC. */
function parseWindowInstant(text: string): number | null {
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : ms;
}

function preferredZone(headers: Readonly<Record<string, string>>): string | null {
  const zone = /outlook\.timezone="([^"]+)"/i.exec(headers.prefer ?? '')?.[1];
  if (!zone) return null;
  try {
    ianaZone(zone);
    return zone;
  } catch {
    return null;
  }
}

function maxPageSize(headers: Readonly<Record<string, string>>): number | null {
  const n = /odata\.maxpagesize=(\d+)/i.exec(headers.prefer ?? '')?.[1];
  return n ? Number(n) : null;
}

function lowerKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Sub-response headers as Graph writes them ("Retry-After"). */
function capitaliseHeaders(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [
      k.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()),
      v,
    ]),
  );
}
