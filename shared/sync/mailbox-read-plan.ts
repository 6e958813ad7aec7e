import type {
  CalendarSubscription,
  Mailbox,
  MailboxCalendar,
  MailboxOutOfOffice,
} from '../calendar/calendar-source.ts';
import type { AppError, Result } from '../errors.ts';
import type { Appointment, Instant } from '../presence/model.ts';
import type { CalendarRead, SavedRead, StoredCalendar } from '../storage/stores.ts';
import { syncWindow } from './sync-policy.ts';

/**
 * What a calendar-sync job stores for one user it read, decided from the read and what was
 * stored before: the calendar and out-of-office in one write, readable errors for
 * administrators, and whether the user's presence inputs changed. store-mailbox-read.ts writes it.
 */

export interface UserState {
  readonly mailbox: Mailbox;
  /** For log lines (the email when the scan handed only the address on). */
  readonly name: string;
  readonly stored: StoredCalendar | null;
  readonly subscription: CalendarSubscription | null;
  /** Joined the integration in the scan that sent this job: nothing is stored for them yet. */
  readonly joined: boolean;
}

/** One user's part of what the job read (a part absent: not read for this user). */
export interface UserRead {
  readonly now: Instant;
  readonly because: string;
  readonly calendar: Result<MailboxCalendar> | undefined;
  readonly outOfOffice: Result<MailboxOutOfOffice> | undefined;
  readonly subscription: Result<CalendarSubscription> | undefined;
}

export interface StorePlan {
  /** The one write of the user's calendar and out-of-office, or null when neither is to be written. */
  readonly write: CalendarRead | null;
  /** The user's presence inputs changed. */
  readonly changed: boolean;
  /** What failed, for the log and the user's stored error (readable, no secret). */
  readonly errors: readonly string[];
  readonly failures: readonly AppError[];
  /** Exchange throttled or did not answer a part of this user's read: worth reading again later. */
  readonly transient: AppError | null;
}

export interface StoreOutcome {
  /** The user's presence inputs changed. */
  readonly changed: boolean;
  /** What is stored for the user now, when this job knows all of it (else null). */
  readonly calendar: StoredCalendar | null;
  /** This job stored the user's first record (so none of their presence is stored either, as a rule). */
  readonly created: boolean;
  /** Exchange throttled or did not answer a part of this user's read: worth reading again later. */
  readonly transient: AppError | null;
}

/** Failures worth another try: the next one may well work. */
const TRANSIENT: ReadonlySet<string> = new Set(['exchange.throttled', 'exchange.unreachable']);

export function isTransient(error: AppError): boolean {
  return TRANSIENT.has(error.code);
}

export function planStore(user: UserState, read: UserRead, scanWindowDays: number): StorePlan {
  const { mailbox, stored } = user;
  let changed = false;
  const errors: string[] = [];
  const failures: AppError[] = [];

  let calendar: CalendarRead['calendar'];
  if (read.calendar?.ok === true) {
    const appointments = read.calendar.value.appointments;
    changed ||= stored === null || !sameAppointments(stored.appointments, appointments);
    calendar = { window: syncWindow(read.now, scanWindowDays), appointments };
  } else if (read.calendar?.ok === false) {
    failures.push(read.calendar.error);
    errors.push(`Could not read the calendar of ${mailbox.email}: ${read.calendar.error.message}`);
  }

  let outOfOffice: CalendarRead['outOfOffice'];
  if (read.outOfOffice?.ok === true) {
    const { outOfOffice: setting, timeZone } = read.outOfOffice.value;
    const same =
      stored !== null &&
      stored.outOfOfficeReadAt !== null &&
      stored.timeZone === timeZone &&
      JSON.stringify(stored.outOfOffice) === JSON.stringify(setting);
    if (!same) {
      changed = true;
      outOfOffice = { outOfOffice: setting, timeZone };
    }
  } else if (read.outOfOffice?.ok === false) {
    failures.push(read.outOfOffice.error);
    errors.push(
      `Could not get out-of-office settings for ${mailbox.email}: ${read.outOfOffice.error.message}`,
    );
  }

  if (read.subscription?.ok === false) {
    failures.push(read.subscription.error);
    errors.push(
      `Could not subscribe to availability of user ${mailbox.email}: ${read.subscription.error.message}`,
    );
  }
  // Calendar and out-of-office of one user in one write.
  const write: CalendarRead | null =
    calendar === undefined && outOfOffice === undefined
      ? null
      : {
          readAt: read.now,
          because: read.because,
          ...(calendar === undefined ? {} : { calendar }),
          ...(outOfOffice === undefined ? {} : { outOfOffice }),
          ...(user.joined ? { firstRead: true } : {}),
        };
  return { write, changed, errors, failures, transient: failures.find(isTransient) ?? null };
}

/**
 * What the store holds for the user once the planned write is made, without reading it back:
 * the calendar just read and the out-of-office setting the write found (or brought). Null when
 * the job read no calendar, something failed, or the write was not taken (a newer read is
 * stored): the presence worker then reads the store.
 */
export function storedAfter(
  user: UserState,
  plan: StorePlan,
  saved: SavedRead | null,
): StoredCalendar | null {
  const calendar = plan.write?.calendar;
  if (plan.errors.length > 0 || plan.write === null || calendar === undefined) return null;
  if (saved?.taken !== true || saved.outOfOffice === null) return null;
  return {
    userId: user.mailbox.userId,
    appointments: calendar.appointments,
    window: calendar.window,
    calendarReadAt: plan.write.readAt,
    calendarReadBecause: plan.write.because,
    outOfOffice: saved.outOfOffice.outOfOffice,
    timeZone: saved.outOfOffice.timeZone,
    outOfOfficeReadAt: user.stored?.outOfOfficeReadAt ?? plan.write.readAt,
    lastError: null,
  };
}

function sameAppointments(before: readonly Appointment[], after: readonly Appointment[]): boolean {
  if (before.length !== after.length) return false;
  const key = (list: readonly Appointment[]) =>
    JSON.stringify([...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.start - b.start)));
  return key(before) === key(after);
}
