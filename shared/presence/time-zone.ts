import { DateTime, IANAZone } from 'luxon';
import { findIana } from 'windows-iana';
import type { Instant } from './model.ts';

const resolved = new Map<string, string | null>();

/**
 * The IANA zone for a mailbox time zone as Exchange reports it: a Windows name
 * ("W. Europe Standard Time", mapped through CLDR windowsZones, territory 001) or an IANA name
 * (passed through when the platform knows it). Anything else (e.g. "Customized Time Zone") → null.
 */
export function toIanaZone(name: string): string | null {
  const cached = resolved.get(name);
  if (cached !== undefined) return cached;
  const zone = resolve(name.trim());
  resolved.set(name, zone);
  return zone;
}

function resolve(name: string): string | null {
  if (name === '') return null;
  const windows = findIana(name, '001')[0];
  if (windows !== undefined && IANAZone.isValidZone(windows)) return windows;
  return IANAZone.isValidZone(name) ? name : null;
}

/**
 * Places a floating local date-time (its wall-clock fields written as if UTC, as all-day
 * appointments carry them) in `zone`: Date.UTC(2026, 2, 29) in Europe/Berlin is that day's local
 * midnight, whatever the offset is on that day. Wall times skipped by a DST change move forward.
 */
export function floatingToInstant(floating: Instant, zone: string): Instant {
  const d = new Date(floating);
  return DateTime.fromObject(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
    },
    { zone },
  ).toMillis();
}
