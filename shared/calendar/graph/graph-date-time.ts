import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import type { Instant } from '../../presence/model.ts';
import type { GraphDateTimeTimeZone } from './graph-schemas.ts';

/** Graph writes local times without offset and with up to 7 fractional digits: `2026-11-24T14:00:00.0000000`. */
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/;

/** The wall-clock time as if it were UTC (the "floating" form model.ts uses for all-day dates), or null. */
export function floatingInstant(dateTime: string): Instant | null {
  const match = LOCAL_DATE_TIME.exec(dateTime.trim().replace(/Z$/, ''));
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction] = match;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const instant = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
  return Number.isFinite(instant) ? instant : null;
}

/** An IANA zone for a Windows ("W. Europe Standard Time") or IANA name; null when neither. */
export function ianaZone(timeZone: string): string | null {
  const trimmed = timeZone.trim();
  if (trimmed === '' || /^(utc|gmt|z|etc\/utc|coordinated universal time)$/i.test(trimmed)) return 'UTC';
  const fromWindows = findIana(trimmed)[0];
  if (fromWindows !== undefined) return fromWindows;
  return DateTime.local().setZone(trimmed).isValid ? trimmed : null;
}

/**
 * A Graph date-time as a UTC instant. Without `Prefer: outlook.timezone` Graph answers in UTC;
 * other zones are converted so a header set by someone else cannot shift appointments.
 */
export function graphInstant(value: GraphDateTimeTimeZone): Instant | null {
  const floating = floatingInstant(value.dateTime);
  if (floating === null) return null;
  const zone = ianaZone(value.timeZone ?? 'UTC');
  if (zone === null) return null;
  if (zone === 'UTC') return floating;
  const local = DateTime.fromMillis(floating, { zone: 'UTC' }).setZone(zone, { keepLocalTime: true });
  return local.isValid ? local.toMillis() : null;
}
