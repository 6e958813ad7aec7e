import { randomBytes, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import type { Instant, Sensitivity, ShowAs } from '../../shared/presence/model.ts';

/**
 * The simulated Exchange organisation: users, their calendars and mailbox settings, held in
 * memory and shared by the Graph and EWS front-ends. Every calendar change goes through the
 * change feed, which the front-ends turn into Graph change notifications or EWS push events.
 */

export interface SimUser {
  /** The Entra object id (a GUID), as Graph's `id`. */
  readonly id: string;
  /** The sign-in name; by default in the tenant's initial domain, so it differs from `mail` as in most tenants. */
  readonly userPrincipalName: string;
  /** The primary SMTP address. */
  readonly mail: string;
  /** The other SMTP proxy addresses (lower case): Exchange delivers to them, but they are no primary. */
  readonly aliases: readonly string[];
  /** `SMTP:<mail>` first, then `smtp:<alias>` for each alias, as Exchange keeps them. */
  readonly proxyAddresses: readonly string[];
  readonly displayName: string;
  /** False for a directory user without an Exchange Online mailbox (Graph: MailboxNotEnabledForRESTAPI). */
  readonly hasMailbox: boolean;
}

/** Graph's dateTimeTimeZone: a local date-time without offset, and the zone it is in. */
export interface SimDateTime {
  readonly dateTime: string;
  readonly timeZone: string;
}

export type ResponseType =
  | 'none'
  | 'organizer'
  | 'tentativelyAccepted'
  | 'accepted'
  | 'declined'
  | 'notResponded';

/** A calendar item in Graph's shape (the fields the service reads, and a few more Graph always sends). */
export interface SimEvent {
  readonly id: string;
  readonly changeKey: string;
  readonly iCalUId: string;
  readonly createdDateTime: string;
  readonly lastModifiedDateTime: string;
  readonly subject: string;
  /** Timed events: UTC. All-day events: floating midnight dates with timeZone 'UTC', as Graph stores them. */
  readonly start: SimDateTime;
  readonly end: SimDateTime;
  readonly isAllDay: boolean;
  readonly showAs: ShowAs;
  readonly isCancelled: boolean;
  readonly responseStatus: { readonly response: ResponseType; readonly time: string };
  readonly sensitivity: Sensitivity;
  readonly type: 'singleInstance';
  readonly isOrganizer: boolean;
}

export type AutomaticRepliesStatus = 'disabled' | 'alwaysEnabled' | 'scheduled';

export interface SimAutomaticReplies {
  readonly status: AutomaticRepliesStatus;
  readonly externalAudience: 'none' | 'contactsOnly' | 'all';
  readonly scheduledStartDateTime: SimDateTime;
  readonly scheduledEndDateTime: SimDateTime;
  /** HTML, as Exchange holds it. */
  readonly internalReplyMessage: string;
  readonly externalReplyMessage: string;
}

export interface SimMailboxSettings {
  /** Windows time zone name, e.g. "W. Europe Standard Time". */
  readonly timeZone: string;
  readonly automaticRepliesSetting: SimAutomaticReplies;
}

/** When an event happens: UTC instants, or floating dates (YYYY-MM-DD, end exclusive) for all-day events. */
export type EventTiming =
  | { readonly isAllDay?: false; readonly start: Instant; readonly end: Instant }
  | { readonly isAllDay: true; readonly startDate: string; readonly endDate: string };

export type EventInput = EventTiming & {
  readonly subject: string;
  readonly showAs?: ShowAs;
  readonly isCancelled?: boolean;
  readonly response?: ResponseType;
  readonly sensitivity?: Sensitivity;
};

export type EventPatch = Partial<Omit<EventInput, 'isAllDay' | 'start' | 'end' | 'startDate' | 'endDate'>> & {
  readonly timing?: EventTiming;
};

export type AutomaticRepliesInput =
  | { readonly status: 'disabled' | 'alwaysEnabled'; readonly internalReplyMessage?: string }
  | {
      readonly status: 'scheduled';
      readonly start: Instant;
      readonly end: Instant;
      readonly internalReplyMessage?: string;
    };

/**
 * One calendar change. `sequence` increases over the whole organisation, so a front-end can
 * resume after it (an EWS watermark). A deletion from Outlook moves the item to Deleted Items
 * (`movedToDeletedItems`): EWS reports that as a MovedEvent, Graph as `deleted`.
 */
export type MailboxChange =
  | {
      readonly kind: 'created' | 'updated';
      readonly sequence: number;
      readonly at: Instant;
      readonly userId: string;
      readonly eventId: string;
      readonly event: SimEvent;
    }
  | {
      readonly kind: 'deleted';
      readonly sequence: number;
      readonly at: Instant;
      readonly userId: string;
      readonly eventId: string;
      readonly movedToDeletedItems: boolean;
    };

export type ChangeListener = (change: MailboxChange) => void;

export interface AddUserInput {
  /** The primary SMTP address. */
  readonly email: string;
  /** Further SMTP addresses of the mailbox. */
  readonly aliases?: readonly string[];
  readonly displayName?: string;
  readonly id?: string;
  /** Default: the local part at `<first label of the domain>.onmicrosoft.com` (ann@contoso.com → ann@contoso.onmicrosoft.com). */
  readonly userPrincipalName?: string;
  readonly timeZone?: string;
  readonly hasMailbox?: boolean;
}

interface MailboxState {
  readonly user: SimUser;
  readonly events: Map<string, SimEvent>;
  settings: SimMailboxSettings;
}

const DEFAULT_TIME_ZONE = 'W. Europe Standard Time';
const CHANGE_LOG_LIMIT = 10_000;

export class Mailboxes {
  readonly #byId = new Map<string, MailboxState>();
  readonly #byAddress = new Map<string, MailboxState>();
  readonly #listeners = new Set<ChangeListener>();
  readonly #changeLog: MailboxChange[] = [];
  readonly #now: () => Instant;
  #sequence = 0;

  constructor(options: { readonly now?: () => Instant } = {}) {
    this.#now = options.now ?? Date.now;
  }

  now(): Instant {
    return this.#now();
  }

  addUser(input: AddUserInput): SimUser {
    const email = input.email.toLowerCase();
    const aliases = (input.aliases ?? []).map((a) => a.toLowerCase());
    const taken = [email, ...aliases].find((address) => this.#byAddress.has(address));
    if (taken !== undefined) throw new Error(`user ${taken} exists`);
    const user: SimUser = {
      id: input.id ?? randomUUID(),
      userPrincipalName: input.userPrincipalName ?? initialDomainName(email),
      mail: email,
      aliases,
      proxyAddresses: [`SMTP:${email}`, ...aliases.map((alias) => `smtp:${alias}`)],
      displayName: input.displayName ?? email.split('@')[0] ?? email,
      hasMailbox: input.hasMailbox ?? true,
    };
    const state: MailboxState = {
      user,
      events: new Map(),
      settings: {
        timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
        automaticRepliesSetting: disabledReplies(this.#now()),
      },
    };
    this.#byId.set(user.id.toLowerCase(), state);
    for (const key of addressKeys(user)) this.#byAddress.set(key, state);
    return user;
  }

  /** Removes a user and their mailbox (no change notifications: Exchange sends none either). */
  removeUser(idOrAddress: string): void {
    const state = this.#state(idOrAddress);
    this.#byId.delete(state.user.id.toLowerCase());
    for (const key of addressKeys(state.user)) this.#byAddress.delete(key);
  }

  /** The user by object id, UPN or any SMTP address (case-insensitive), or undefined. */
  findUser(idOrAddress: string): SimUser | undefined {
    return this.#find(idOrAddress)?.user;
  }

  /** The user by what Graph takes as a key in `/users/{key}`: the object id or the UPN, nothing else. */
  findByKey(idOrUpn: string): SimUser | undefined {
    const key = idOrUpn.toLowerCase();
    const user = this.#byId.get(key)?.user ?? this.#byAddress.get(key)?.user;
    return user?.id.toLowerCase() === key || user?.userPrincipalName.toLowerCase() === key ? user : undefined;
  }

  user(idOrAddress: string): SimUser {
    return this.#state(idOrAddress).user;
  }

  /** In the order they were added (Graph's /users paging is stable). */
  users(): readonly SimUser[] {
    return [...this.#byId.values()].map((s) => s.user);
  }

  events(idOrAddress: string): readonly SimEvent[] {
    return [...this.#state(idOrAddress).events.values()];
  }

  event(idOrAddress: string, eventId: string): SimEvent | undefined {
    return this.#state(idOrAddress).events.get(eventId);
  }

  /** Events overlapping [start, end), all-day events placed in the mailbox time zone; sorted by start. */
  calendarView(idOrAddress: string, start: Instant, end: Instant): readonly SimEvent[] {
    const state = this.#state(idOrAddress);
    const zone = ianaZone(state.settings.timeZone);
    return [...state.events.values()]
      .map((event) => ({ event, span: eventSpan(event, zone) }))
      .filter(({ span }) => span.start < end && span.end > start)
      .sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end)
      .map(({ event }) => event);
  }

  mailboxSettings(idOrAddress: string): SimMailboxSettings {
    return this.#state(idOrAddress).settings;
  }

  createEvent(idOrAddress: string, input: EventInput): SimEvent {
    const state = this.#state(idOrAddress);
    const now = this.#now();
    const event: SimEvent = {
      id: newItemId(),
      changeKey: newChangeKey(),
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(24).toString('hex').toUpperCase()}`,
      createdDateTime: graphInstant(now),
      lastModifiedDateTime: graphInstant(now),
      subject: input.subject,
      ...timingFields(input),
      showAs: input.showAs ?? 'busy',
      isCancelled: input.isCancelled ?? false,
      responseStatus: { response: input.response ?? 'organizer', time: '0001-01-01T00:00:00Z' },
      sensitivity: input.sensitivity ?? 'normal',
      type: 'singleInstance',
      isOrganizer: (input.response ?? 'organizer') === 'organizer',
    };
    state.events.set(event.id, event);
    this.#emit({ kind: 'created', userId: state.user.id, eventId: event.id, event });
    return event;
  }

  updateEvent(idOrAddress: string, eventId: string, patch: EventPatch): SimEvent {
    const state = this.#state(idOrAddress);
    const old = state.events.get(eventId);
    if (!old) throw new Error(`no event ${eventId} for ${idOrAddress}`);
    const response = patch.response ?? old.responseStatus.response;
    const event: SimEvent = {
      ...old,
      changeKey: newChangeKey(),
      lastModifiedDateTime: graphInstant(this.#now()),
      subject: patch.subject ?? old.subject,
      ...(patch.timing ? timingFields(patch.timing) : {}),
      showAs: patch.showAs ?? old.showAs,
      isCancelled: patch.isCancelled ?? old.isCancelled,
      responseStatus: { response, time: graphInstant(this.#now()) },
      sensitivity: patch.sensitivity ?? old.sensitivity,
    };
    state.events.set(eventId, event);
    this.#emit({ kind: 'updated', userId: state.user.id, eventId, event });
    return event;
  }

  /** Deletes as Outlook does (moved to Deleted Items) unless `hardDelete`. */
  deleteEvent(idOrAddress: string, eventId: string, options: { readonly hardDelete?: boolean } = {}): void {
    const state = this.#state(idOrAddress);
    if (!state.events.delete(eventId)) throw new Error(`no event ${eventId} for ${idOrAddress}`);
    this.#emit({
      kind: 'deleted',
      userId: state.user.id,
      eventId,
      movedToDeletedItems: options.hardDelete !== true,
    });
  }

  /** Out-of-office; Exchange notifies nobody of this (neither Graph nor EWS subscriptions cover it). */
  setAutomaticReplies(idOrAddress: string, input: AutomaticRepliesInput): SimAutomaticReplies {
    const state = this.#state(idOrAddress);
    const old = state.settings.automaticRepliesSetting;
    const replies: SimAutomaticReplies = {
      ...old,
      status: input.status,
      internalReplyMessage: input.internalReplyMessage ?? old.internalReplyMessage,
      externalReplyMessage: input.internalReplyMessage ?? old.externalReplyMessage,
      ...(input.status === 'scheduled'
        ? {
            scheduledStartDateTime: utcDateTime(input.start),
            scheduledEndDateTime: utcDateTime(input.end),
          }
        : {}),
    };
    state.settings = { ...state.settings, automaticRepliesSetting: replies };
    return replies;
  }

  setTimeZone(idOrAddress: string, timeZone: string): void {
    ianaZone(timeZone);
    const state = this.#state(idOrAddress);
    state.settings = { ...state.settings, timeZone };
  }

  /** Listens to every calendar change; returns the function that stops listening. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The latest sequence number (0 before the first change): an EWS watermark. */
  lastSequence(): number {
    return this.#sequence;
  }

  /** Changes of one mailbox after `sequence`, oldest first (the most recent 10,000 are kept). */
  changesSince(idOrAddress: string, sequence: number): readonly MailboxChange[] {
    const userId = this.#state(idOrAddress).user.id;
    return this.#changeLog.filter((c) => c.sequence > sequence && c.userId === userId);
  }

  #emit(change: DistributiveOmit<MailboxChange, 'sequence' | 'at'>): void {
    this.#sequence += 1;
    const full = { ...change, sequence: this.#sequence, at: this.#now() } as MailboxChange;
    this.#changeLog.push(full);
    if (this.#changeLog.length > CHANGE_LOG_LIMIT) this.#changeLog.shift();
    for (const listener of this.#listeners) listener(full);
  }

  #find(idOrAddress: string): MailboxState | undefined {
    const key = idOrAddress.toLowerCase();
    return this.#byId.get(key) ?? this.#byAddress.get(key);
  }

  #state(idOrAddress: string): MailboxState {
    const state = this.#find(idOrAddress);
    if (!state) throw new Error(`no user ${idOrAddress}`);
    return state;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Every address a user is found by: the UPN and each SMTP address, lower-cased. */
function addressKeys(user: SimUser): string[] {
  return [
    user.userPrincipalName.toLowerCase(),
    ...user.proxyAddresses.map((p) => p.replace(/^smtp:/i, '').toLowerCase()),
  ];
}

/** ann@contoso.com → ann@contoso.onmicrosoft.com: the UPN a cloud-only tenant gives by default. */
function initialDomainName(email: string): string {
  const [local, domain] = email.split('@');
  return `${local}@${domain?.split('.')[0] ?? 'contoso'}.onmicrosoft.com`;
}

/** The IANA zone of a Windows (or IANA) time zone name; throws for an unknown one. */
export function ianaZone(timeZone: string): string {
  const fromWindows = findIana(timeZone)[0];
  if (fromWindows) return fromWindows;
  if (DateTime.now().setZone(timeZone).isValid) return timeZone;
  throw new Error(`unknown time zone ${timeZone}`);
}

/** The UTC span an event covers; all-day events cover midnight to midnight in `zone`. */
export function eventSpan(event: SimEvent, zone: string): { start: Instant; end: Instant } {
  if (!event.isAllDay) return { start: parseUtc(event.start.dateTime), end: parseUtc(event.end.dateTime) };
  const local = (d: SimDateTime) =>
    DateTime.fromISO(d.dateTime.slice(0, 10), { zone }).startOf('day').toMillis();
  return { start: local(event.start), end: local(event.end) };
}

/** Graph's dateTime format: seven fractional digits, no offset. */
export function graphLocalDateTime(instant: Instant): string {
  return `${new Date(instant).toISOString().slice(0, 23)}0000`;
}

/** Graph's UTC timestamps of item metadata (createdDateTime...). */
function graphInstant(instant: Instant): string {
  return `${graphLocalDateTime(instant)}Z`;
}

export function utcDateTime(instant: Instant): SimDateTime {
  return { dateTime: graphLocalDateTime(instant), timeZone: 'UTC' };
}

function parseUtc(dateTime: string): Instant {
  return Date.parse(`${dateTime.slice(0, 23)}Z`);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function timingFields(timing: EventTiming): Pick<SimEvent, 'start' | 'end' | 'isAllDay'> {
  if (timing.isAllDay === true) {
    if (!DATE.test(timing.startDate) || !DATE.test(timing.endDate) || timing.endDate <= timing.startDate) {
      throw new Error(`bad all-day dates ${timing.startDate}..${timing.endDate}`);
    }
    const floating = (date: string): SimDateTime => ({
      dateTime: `${date}T00:00:00.0000000`,
      timeZone: 'UTC',
    });
    return { isAllDay: true, start: floating(timing.startDate), end: floating(timing.endDate) };
  }
  if (!(timing.end > timing.start)) throw new Error('an event must end after it starts');
  return { isAllDay: false, start: utcDateTime(timing.start), end: utcDateTime(timing.end) };
}

function disabledReplies(now: Instant): SimAutomaticReplies {
  return {
    status: 'disabled',
    externalAudience: 'all',
    scheduledStartDateTime: utcDateTime(now),
    scheduledEndDateTime: utcDateTime(now + 86_400_000),
    internalReplyMessage: '',
    externalReplyMessage: '',
  };
}

/** Exchange item ids are long opaque base64 strings; the prefix is what Exchange Online ids start with. */
function newItemId(): string {
  return `AAMkAGI2${randomBytes(48).toString('base64url')}AAA=`;
}

function newChangeKey(): string {
  return `DwAAABYAAA${randomBytes(12).toString('base64')}`;
}
