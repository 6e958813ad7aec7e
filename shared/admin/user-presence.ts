import type { CalendarSubscription } from '../calendar/calendar-source.ts';
import { stateAt } from '../presence/evaluate.ts';
import { toIsoSeconds } from '../presence/instant.ts';
import type { Instant, Policy, PresenceState } from '../presence/model.ts';
import { type PreparedCalendar, prepareCalendar } from '../presence/prepare.ts';
import type { PresenceRecord, StoredCalendar, UserRecord } from '../storage/stores.ts';

/** Why a user's availability is what it is, in words an administrator can act on. */
export interface Why {
  readonly kind: 'outOfOffice' | 'appointment' | 'override' | 'free' | 'unknown';
  readonly text: string;
  /** The appointment that decides, when one does (subject null when it must not be shown). */
  readonly appointment: {
    readonly id: string;
    readonly subject: string | null;
    readonly start: string;
    readonly end: string;
  } | null;
  /** Until when the state holds (the next change), or null. */
  readonly until: string | null;
  /** What the decision is based on: the read of the calendar and of out-of-office. */
  readonly basedOn: string | null;
}

export interface UserPresence {
  readonly prepared: PreparedCalendar | null;
  readonly state: PresenceState | null;
  readonly why: Why;
}

/** Evaluates the stored calendar now, exactly as the presence worker does, and explains it. */
export function userPresence(
  calendar: StoredCalendar | null,
  presence: PresenceRecord | null,
  policy: Policy,
  now: Instant,
): UserPresence {
  if (calendar === null || calendar.calendarReadAt === null) {
    const text =
      calendar?.lastError != null
        ? `The calendar could not be read: ${calendar.lastError}`
        : 'The calendar has not been read yet';
    return {
      prepared: null,
      state: null,
      why: { kind: 'unknown', text, appointment: null, until: null, basedOn: null },
    };
  }
  const prepared = prepareCalendar({
    appointments: calendar.appointments,
    outOfOffice: calendar.outOfOffice,
    mailboxTimeZone: calendar.timeZone,
    override: presence?.override ?? null,
    policy,
  });
  const state = stateAt(prepared, now);
  return { prepared, state, why: explain(state, prepared, calendar) };
}

function explain(state: PresenceState, prepared: PreparedCalendar, calendar: StoredCalendar): Why {
  const until = state.until === null ? null : toIsoSeconds(state.until);
  const untilText = until === null ? '' : ` until ${until}`;
  const calendarRead =
    calendar.calendarReadAt === null
      ? null
      : `calendar read ${toIsoSeconds(calendar.calendarReadAt)} (${calendar.calendarReadBecause ?? 'scan'})`;
  const oofRead =
    calendar.outOfOfficeReadAt === null
      ? null
      : `out-of-office read ${toIsoSeconds(calendar.outOfOfficeReadAt)}`;
  const reason = state.reason;
  switch (reason.kind) {
    case 'outOfOffice':
      return {
        kind: 'outOfOffice',
        text:
          reason.status === 'enabled'
            ? `Automatic replies (out-of-office) are on in Exchange${untilText}`
            : `Scheduled out-of-office in Exchange${untilText}`,
        appointment: null,
        until,
        basedOn: oofRead,
      };
    case 'appointment': {
      const counted = prepared.appointments.find((a) => a.id === reason.appointmentId);
      const subject = counted?.note ?? null;
      const label = subject === null ? 'an appointment whose subject is not shown' : `"${subject}"`;
      const showAs = reason.rule === 2 ? 'shown as out of office' : 'shown as busy';
      return {
        kind: 'appointment',
        text: `In ${label} (${showAs})${untilText}`,
        appointment:
          counted === undefined
            ? null
            : {
                id: counted.id,
                subject,
                start: toIsoSeconds(counted.start),
                end: toIsoSeconds(counted.end),
              },
        until,
        basedOn: calendarRead,
      };
    }
    case 'override':
      return {
        kind: 'override',
        text: `Set by the user in PHONE-LiNK at ${toIsoSeconds(reason.setAt)}; the calendar takes over again${until === null ? ' when the override is cleared' : ` at ${until}`}`,
        appointment: null,
        until,
        basedOn: null,
      };
    default:
      return {
        kind: 'free',
        text: `No appointment or out-of-office now${until === null ? '' : `; next change at ${until}`}`,
        appointment: null,
        until,
        basedOn: [calendarRead, oofRead].filter((part) => part !== null).join('; ') || null,
      };
  }
}

/** One user as the admin users list shows them. */
export function userSummary(
  user: UserRecord,
  calendar: StoredCalendar | null,
  presence: PresenceRecord | null,
  subscription: CalendarSubscription | null,
  policy: Policy,
  now: Instant,
) {
  const { state, why } = userPresence(calendar, presence, policy, now);
  const pushed = presence?.lastPushed ?? null;
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    availability: state?.availability ?? null,
    greeting: state?.greeting ?? null,
    note: state?.note ?? null,
    source: state?.source ?? null,
    until: state?.until == null ? null : toIsoSeconds(state.until),
    why,
    phonelink: {
      /** What PHONE-LiNK was last told; differs from `availability` while a push is pending. */
      availability: pushed?.availability ?? null,
      pushedAt: iso(presence?.lastPushedAt ?? null),
      sequence: presence?.sequence ?? null,
      inStep: pushed !== null && state !== null && pushed.availability === state.availability,
    },
    lastNotificationAt: iso(presence?.lastNotificationAt ?? null),
    calendarReadAt: iso(calendar?.calendarReadAt ?? null),
    calendarReadBecause: calendar?.calendarReadBecause ?? null,
    outOfOfficeReadAt: iso(calendar?.outOfOfficeReadAt ?? null),
    calendarError: calendar?.lastError ?? null,
    subscription:
      subscription === null ? null : { source: subscription.source, expiresAt: iso(subscription.expiresAt) },
  };
}

export function iso(instant: Instant | null): string | null {
  return instant === null ? null : toIsoSeconds(instant);
}
