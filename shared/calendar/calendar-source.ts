import type { Result } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Appointment, Instant, OutOfOffice } from '../presence/model.ts';

/**
 * The port to Exchange. Graph and EWS implement it; nothing above knows which is in use.
 * Methods take many mailboxes at once so an adapter can batch ($batch, or one SOAP call);
 * each mailbox gets its own result, so one unreadable calendar never fails the others.
 */
export interface CalendarSource {
  readonly kind: 'graph' | 'ews' | 'hybrid';

  /** Writes SPEC §6's "Starting …", "Using … URL: …", "Connected to …" lines; throws AppError when it cannot. */
  connect(log: AdminLog): Promise<void>;

  /**
   * Checks where each mailbox is served from, when a source can tell (hybrid: the side that
   * holds it, re-routing the ones that moved). The others have nothing to check.
   */
  checkMailboxes?(mailboxes: readonly Mailbox[]): Promise<void>;

  /** Where each mailbox is read, in words, for the log (hybrid: its side); absent: one place for all. */
  placesOf?(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, string>>;

  readCalendars(
    mailboxes: readonly Mailbox[],
    window: CalendarWindow,
  ): Promise<ReadonlyMap<string, Result<MailboxCalendar>>>;

  readOutOfOffice(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, Result<MailboxOutOfOffice>>>;

  /**
   * Creates the change subscription of each mailbox, or renews it when `existing` still lives.
   * Keyed by userId.
   */
  subscribe(
    requests: readonly SubscribeRequest[],
  ): Promise<ReadonlyMap<string, Result<CalendarSubscription>>>;

  /** Deletes a subscription; a subscription that is already gone is not an error. */
  unsubscribe(subscription: CalendarSubscription): Promise<void>;

  /**
   * For a source that addresses mailboxes by a directory id (Graph: a user is keyed by id or
   * UPN, not by a mail address or alias), the id of the user holding each mailbox's address;
   * null when nobody does. Keyed by userId. Sources that take any address (EWS) leave it out.
   */
  resolveMailboxes?(mailboxes: readonly Mailbox[]): Promise<ReadonlyMap<string, Result<string | null>>>;

  /** The permissions the service needs that its credentials were not granted (Graph: read from the token). */
  missingPermissions?(): Promise<readonly MissingPermission[]>;
}

export interface MissingPermission {
  /** As the administrator sees it, e.g. `Calendars.Read`. */
  readonly name: string;
  readonly neededFor: string;
  readonly howToGrant: string;
  /**
   * Exchange can also grant it per mailbox (RBAC for Applications), where the token does not
   * show it: reads of this kind that succeed prove it granted.
   */
  readonly provenBy?: 'calendar reads' | 'out-of-office reads';
}

export interface Mailbox {
  /** The PHONE-LiNK user id. */
  readonly userId: string;
  readonly email: string;
  /** The directory id `email` resolved to (see resolveMailboxes), once known. */
  readonly directoryId?: string;
}

export interface CalendarWindow {
  readonly start: Instant;
  readonly end: Instant;
}

export interface MailboxCalendar {
  readonly appointments: readonly Appointment[];
}

export interface MailboxOutOfOffice {
  readonly outOfOffice: OutOfOffice;
  /** The mailbox time zone, Windows or IANA name, as Exchange reports it. */
  readonly timeZone: string;
}

export interface SubscribeRequest {
  readonly mailbox: Mailbox;
  readonly existing: CalendarSubscription | null;
}

export interface CalendarSubscription {
  readonly id: string;
  readonly userId: string;
  readonly source: 'graph' | 'ews';
  /**
   * Graph: when Exchange drops it unless renewed. EWS push: when it is re-subscribed from its
   * watermark at the latest, 24 hours after Exchange answered the Subscribe (ews-liveness.ts).
   */
  readonly expiresAt: Instant | null;
  /** Graph: the random secret Graph echoes in each notification. */
  readonly clientState: string | null;
  /** EWS: the watermark to resume from: Subscribe's, or that of the last event whose read succeeded. */
  readonly watermark: string | null;
}
