import type { CalendarSubscription, CalendarWindow } from '../calendar/calendar-source.ts';
import type { PresenceMemory } from '../presence/decide-presence.ts';
import type { Appointment, Instant, OutOfOffice } from '../presence/model.ts';

/**
 * What the service keeps in Azure Table storage. These are ports: `table-stores.ts` implements
 * them over @azure/data-tables. Every write is idempotent; records that several workers may
 * touch carry an etag for optimistic concurrency.
 */

export interface UserRecord {
  /** The PHONE-LiNK user id. */
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  /** Calendar Integration ticked and an email address: the service manages this user. */
  readonly integrated: boolean;
  /** Why a PHONE-LiNK user is not integrated, or why we stopped managing them (404). */
  readonly skipReason: string | null;
  readonly updatedAt: Instant;
  /**
   * The directory user (Microsoft Entra ID object id) the email resolved to, with the address it
   * was resolved from: it holds while that is still the user's email. Absent: not resolved yet.
   */
  readonly directoryUser?: DirectoryUser;
}

export interface DirectoryUser {
  readonly id: string;
  readonly email: string;
}

/** A user the store could not keep, and why (the service's answer). */
export interface RefusedUser {
  readonly user: UserRecord;
  readonly reason: string;
}

export interface UserStore {
  list(): Promise<readonly UserRecord[]>;
  get(id: string): Promise<UserRecord | null>;
  /**
   * Replaces the directory: users not in `users` are removed. Returns the users the service
   * refused to keep (not stored, and any earlier record of them removed).
   */
  replaceAll(users: readonly UserRecord[]): Promise<readonly RefusedUser[]>;
  put(user: UserRecord): Promise<void>;
  /** Keeps the directory user each address resolved to, on the user's record where it still exists. */
  saveDirectoryUsers(
    entries: readonly { readonly userId: string; readonly directoryUser: DirectoryUser }[],
  ): Promise<void>;
}

/** What the service knows of one mailbox: the window's appointments and the out-of-office setting. */
export interface StoredCalendar {
  readonly userId: string;
  readonly appointments: readonly Appointment[];
  readonly window: CalendarWindow | null;
  readonly calendarReadAt: Instant | null;
  /** What made us read it: 'scan', 'notification', 'resync', 'force' … shown as "why" to administrators. */
  readonly calendarReadBecause: string | null;
  readonly outOfOffice: OutOfOffice;
  readonly timeZone: string;
  readonly outOfOfficeReadAt: Instant | null;
  /** The last read failure, readable, no secret; null once a read succeeds. */
  readonly lastError: string | null;
}

export interface CalendarStore {
  get(userId: string): Promise<StoredCalendar | null>;
  /**
   * Both of one read (calendar, out-of-office, or both) in one write where the storage allows.
   * Not taken when a part is older than what is stored (a late job).
   */
  saveRead(userId: string, read: CalendarRead): Promise<SavedRead>;
  saveError(userId: string, message: string): Promise<void>;
  delete(userId: string): Promise<void>;
}

/** What one sync read of a mailbox stores; a part left out keeps what was stored. */
export interface CalendarRead {
  readonly readAt: Instant;
  /** Shown as "why" with the calendar. */
  readonly because: string;
  readonly calendar?: { readonly window: CalendarWindow; readonly appointments: readonly Appointment[] };
  readonly outOfOffice?: { readonly outOfOffice: OutOfOffice; readonly timeZone: string };
  /**
   * Nothing is stored for the user, as far as the caller knows (they joined the integration just
   * now): the write creates the record without reading first, and reads only if one exists.
   */
  readonly firstRead?: boolean;
}

/** What saveRead did. */
export type SavedRead =
  | { readonly taken: false }
  | {
      readonly taken: true;
      /** The out-of-office setting stored once the write was made (this read's or the one there), null when none was ever read. */
      readonly outOfOffice: { readonly outOfOffice: OutOfOffice; readonly timeZone: string } | null;
      /** This write made the user's first record (none existed). */
      readonly created: boolean;
    };

/** The wire body of SPEC §4 without `sequence`: the engine's (a record keeps what was pushed). */
export type { PresenceBody } from '../presence/presence-body.ts';

/** What the presence worker remembers of a user (see PresenceMemory), stored with an etag. */
export interface PresenceRecord extends PresenceMemory {
  readonly userId: string;
  readonly etag: string | null;
}

export interface PresenceStore {
  get(userId: string): Promise<PresenceRecord | null>;
  /** Writes when `record.etag` still matches (null: must not exist yet); false when someone else won. */
  save(record: PresenceRecord): Promise<boolean>;
  /** As `save`, answering the record's new etag (null when someone else won), so the next write needs no read. */
  saveForEtag(record: PresenceRecord): Promise<string | null>;
  list(): Promise<readonly PresenceRecord[]>;
}

export interface SubscriptionPut {
  readonly subscription: CalendarSubscription;
  /** The user's record as the caller just read it (null: none; absent: read it). */
  readonly previous?: CalendarSubscription | null | undefined;
}

export interface SubscriptionStore {
  getByUser(userId: string): Promise<CalendarSubscription | null>;
  getById(subscriptionId: string): Promise<CalendarSubscription | null>;
  /** `previous`: the user's record as the caller just read it (null: none), saving a read. */
  put(subscription: CalendarSubscription, previous?: CalendarSubscription | null): Promise<void>;
  /** Several users' subscriptions in as few writes as the storage allows. */
  putAll(entries: readonly SubscriptionPut[]): Promise<void>;
  delete(subscription: CalendarSubscription): Promise<void>;
  list(): Promise<readonly CalendarSubscription[]>;
}

/** When the deployment last scanned, so that a new instance's start does not scan again. */
export interface LastScanStore {
  /** The last scan, with what `claim` needs to take the next one. */
  read(): Promise<LastScan>;
  /**
   * Records `at` as the last scan, unless another process has since `seen` was read: true when
   * this caller may scan.
   */
  claim(at: Instant, seen: LastScan): Promise<boolean>;
  /** Gives a claim back (the scan could not be queued), so the next start scans. */
  release(seen: LastScan): Promise<void>;
}

export interface LastScan {
  readonly at: Instant | null;
  readonly etag: string | null;
}

/** Settings an administrator changes at run time (SPEC §5 PUT /api/settings); never secrets. */
export interface RuntimeSettingsStore {
  get(): Promise<Readonly<Record<string, string | number | boolean>>>;
  put(values: Readonly<Record<string, string | number | boolean>>): Promise<void>;
}

/**
 * The parts of the integration that talk to a far side, as the admin status and health views
 * name them; 'exchange-graph' and 'exchange-ews' are the two sides of a hybrid organization.
 */
export type HealthComponent = 'exchange' | 'phonelink' | 'exchange-graph' | 'exchange-ews';

export interface HealthReport {
  readonly component: HealthComponent;
  readonly ok: boolean;
  /** Readable, no secret; null when ok. */
  readonly cause: string | null;
  readonly at: Instant;
  /** The last time this part worked, or null. */
  readonly lastOkAt: Instant | null;
}

/**
 * The last outcome of talking to Exchange (connect, read, subscribe) and to PHONE-LiNK (list,
 * push): GET /api/status says "offline" with the cause from here. Call `report` on every failure
 * and on success; the store writes only when the state changes (or lastOkAt is stale), so a
 * success per call costs no storage transaction.
 */
export interface HealthStore {
  report(
    component: HealthComponent,
    outcome: { readonly ok: true } | { readonly ok: false; readonly cause: string },
    at: Instant,
  ): Promise<void>;
  list(): Promise<readonly HealthReport[]>;
}
