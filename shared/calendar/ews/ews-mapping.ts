import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import type { Appointment, Instant, OutOfOffice, Sensitivity, ShowAs } from '../../presence/model.ts';
import type { EwsCalendarItem } from './ews-operations.ts';

/** EWS values → the domain (SPEC §3). Pure: no I/O. */

const SHOW_AS: Readonly<Record<string, ShowAs>> = {
  Free: 'free',
  Tentative: 'tentative',
  Busy: 'busy',
  OOF: 'oof',
  WorkingElsewhere: 'workingElsewhere',
  NoData: 'unknown',
};

const SENSITIVITY: Readonly<Record<string, Sensitivity>> = {
  Normal: 'normal',
  Personal: 'personal',
  Private: 'private',
  Confidential: 'confidential',
};

/**
 * One CalendarItem, or null when its times are unreadable. EWS gives an all-day event as the UTC
 * instants of midnight in the zone it was made in (its StartTimeZone); the domain wants the
 * floating dates, so midnight is read back in that zone (else the mailbox's, else UTC).
 */
export function toAppointment(item: EwsCalendarItem, mailboxZone: string | null): Appointment | null {
  const start = Date.parse(item.Start);
  const end = Date.parse(item.End);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return null;
  const isAllDay = item.IsAllDayEvent === 'true';
  const itemZone = item.StartTimeZone === '' ? undefined : item.StartTimeZone?.['@_Id'];
  const zone = ianaOf(itemZone) ?? ianaOf(mailboxZone) ?? 'UTC';
  return {
    id: item.ItemId['@_Id'],
    subject: item.Subject ?? '',
    start: isAllDay ? floatingDate(start, zone, 'floor') : start,
    end: isAllDay ? floatingDate(end, zone, 'ceil') : end,
    isAllDay,
    // Exchange leaves LegacyFreeBusyStatus out only for items without one: Busy is its default.
    showAs: SHOW_AS[item.LegacyFreeBusyStatus ?? 'Busy'] ?? 'unknown',
    isCancelled: item.IsCancelled === 'true',
    isDeclined: item.MyResponseType === 'Decline',
    sensitivity: SENSITIVITY[item.Sensitivity ?? 'Normal'] ?? 'normal',
  };
}

export interface EwsOofSettings {
  readonly OofState: string;
  readonly Duration?: { readonly StartTime: string; readonly EndTime: string } | undefined;
  readonly InternalReply?: { readonly Message?: string | undefined } | undefined;
}

/** GetUserOofSettings → OutOfOffice; null when a scheduled setting has unreadable times. */
export function toOutOfOffice(settings: EwsOofSettings): OutOfOffice | null {
  const message = settings.InternalReply?.Message ?? '';
  const internalReplyHtml = message === '' ? null : message;
  switch (settings.OofState) {
    case 'Disabled':
      return { status: 'disabled', internalReplyHtml };
    case 'Enabled':
      return { status: 'enabled', internalReplyHtml };
    case 'Scheduled': {
      const start = parseUtc(settings.Duration?.StartTime ?? '');
      const end = parseUtc(settings.Duration?.EndTime ?? '');
      if (!Number.isFinite(start) || !Number.isFinite(end)) return null;
      return { status: 'scheduled', start, end, internalReplyHtml };
    }
    default:
      return null;
  }
}

/**
 * An xs:dateTime that is UTC when it carries no zone designator, as GetUserOofSettings' Duration
 * times (MS-OXWOOF: `2008-02-01T00:00:00`; the EWS Managed API reads them AssumeUniversal).
 * Date.parse would read them in the host's zone.
 */
export function parseUtc(text: string): Instant {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(trimmed))
    return Number.NaN;
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(trimmed) ? trimmed : `${trimmed}Z`);
}

/** SPEC §6: `v` + major.minor.build.revision zero-padded to 2.2.4.4 digits. */
export function formatExchangeVersion(version: {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}): string {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `v${pad(version.major, 2)}.${pad(version.minor, 2)}.${pad(version.build, 4)}.${pad(version.revision, 4)}`;
}

/** An IANA zone for a Windows or IANA name, or null when it is none. */
export function ianaOf(zone: string | null | undefined): string | null {
  if (zone === null || zone === undefined || zone === '') return null;
  const fromWindows = findIana(zone)[0];
  if (fromWindows !== undefined) return fromWindows;
  return DateTime.now().setZone(zone).isValid ? zone : null;
}

/** The local date of `instant` in `zone`, as a floating midnight (Date.UTC of that date). */
function floatingDate(instant: Instant, zone: string, rounding: 'floor' | 'ceil'): Instant {
  const local = DateTime.fromMillis(instant, { zone });
  const midnight = local.startOf('day');
  const date =
    rounding === 'ceil' && local.toMillis() !== midnight.toMillis() ? midnight.plus({ days: 1 }) : midnight;
  return Date.UTC(date.year, date.month - 1, date.day);
}
