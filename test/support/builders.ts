import type { SimUser } from '../../dev/phonelink-sim/phonelink-simulator.ts';
import type { CalendarFacts } from '../../shared/presence/decide-presence.ts';
import type {
  Appointment,
  Instant,
  OutOfOffice,
  Override,
  Policy,
  PresenceInput,
} from '../../shared/presence/model.ts';
import { freshPresenceRecord } from '../../shared/presence-sync/presence-input.ts';
import type { PresenceBody, PresenceRecord, UserRecord } from '../../shared/storage/stores.ts';

/** A UTC instant from ISO 8601 (`'2026-11-24T09:00:00Z'`); throws on anything else. */
export function utc(iso: string): Instant {
  const instant = Date.parse(iso);
  if (!iso.endsWith('Z') || Number.isNaN(instant)) throw new Error(`not a UTC instant: ${iso}`);
  return instant;
}

/** A floating date for all-day appointments (`'2026-11-24'`): that day's midnight written as if UTC. */
export function floatingDate(date: string): Instant {
  return utc(`${date}T00:00:00Z`);
}

let nextId = 1;

/** A normal, busy, accepted appointment 09:00–10:00Z on 2026-11-24 unless told otherwise. */
export function anAppointment(fields: Partial<Appointment> = {}): Appointment {
  return {
    id: `appointment-${nextId++}`,
    subject: 'Design review',
    start: utc('2026-11-24T09:00:00Z'),
    end: utc('2026-11-24T10:00:00Z'),
    isAllDay: false,
    showAs: 'busy',
    isCancelled: false,
    isDeclined: false,
    sensitivity: 'normal',
    ...fields,
  };
}

/** An all-day appointment from `first` to `last` (inclusive local dates). */
export function anAllDayAppointment(
  first: string,
  last: string,
  fields: Partial<Appointment> = {},
): Appointment {
  const end = floatingDate(last) + 24 * 3600 * 1000;
  return anAppointment({ subject: 'Offsite', ...fields, isAllDay: true, start: floatingDate(first), end });
}

/** Out-of-office settings: disabled with no reply unless told otherwise. */
export function anOutOfOffice(
  setting:
    | { status: 'disabled' | 'enabled'; internalReplyHtml?: string | null }
    | { status: 'scheduled'; start: Instant; end: Instant; internalReplyHtml?: string | null } = {
    status: 'disabled',
  },
): OutOfOffice {
  const internalReplyHtml = setting.internalReplyHtml ?? null;
  if (setting.status === 'scheduled') {
    return { status: 'scheduled', start: setting.start, end: setting.end, internalReplyHtml };
  }
  return { status: setting.status, internalReplyHtml };
}

/** The SPEC §7 default policy: tentative counts as Meeting, subjects are shared. */
export function aPolicy(fields: Partial<Policy> = {}): Policy {
  return { tentativeAs: 'Meeting', shareSubjects: true, ...fields };
}

export function anOverride(fields: Partial<Override> = {}): Override {
  return { availability: 'Available', setAt: utc('2026-11-24T08:00:00Z'), ...fields };
}

/** A user in Berlin with no appointments, out-of-office disabled, no override, default policy. */
export function aPresenceInput(fields: Partial<PresenceInput> = {}): PresenceInput {
  return {
    appointments: [],
    outOfOffice: anOutOfOffice(),
    mailboxTimeZone: 'W. Europe Standard Time',
    override: null,
    policy: aPolicy(),
    ...fields,
  };
}

/** A PHONE-LiNK user `User <id>` at u<id>@contoso.com with Calendar Integration ticked. */
export function aSimUser(id: string, fields: Partial<SimUser> = {}): SimUser {
  return { id, name: `User ${id}`, email: `u${id}@contoso.com`, calendarIntegration: true, ...fields };
}

/** The stored user of aSimUser: integrated, last read 2026-11-24 07:00Z unless told otherwise. */
export function aUserRecord(id: string, fields: Partial<UserRecord> = {}): UserRecord {
  return {
    id,
    name: `User ${id}`,
    email: `u${id}@contoso.com`,
    integrated: true,
    skipReason: null,
    updatedAt: utc('2026-11-24T07:00:00Z'),
    ...fields,
  };
}

/** Presence as pushed to PHONE-LiNK: Available from the calendar, until further notice, unless told. */
export function aPresenceBody(fields: Partial<PresenceBody> = {}): PresenceBody {
  return {
    availability: 'Available',
    greeting: 'standard',
    until: null,
    note: null,
    absence: null,
    source: 'calendar',
    ...fields,
  };
}

/** A user's presence record before the first push unless told otherwise. */
export function aPresenceRecord(userId: string, fields: Partial<PresenceRecord> = {}): PresenceRecord {
  return { ...freshPresenceRecord(userId), ...fields };
}

/** A stored calendar as the engine reads it: a mailbox in Berlin with nothing on, unless told otherwise. */
export function aCalendar(fields: Partial<CalendarFacts> = {}): CalendarFacts {
  return { appointments: [], outOfOffice: anOutOfOffice(), timeZone: 'W. Europe Standard Time', ...fields };
}
