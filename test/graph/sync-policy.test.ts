import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredCalendar } from '../../shared/storage/stores.ts';
import { calendarIsStale, subscriptionNeedsRenewal, syncWindow } from '../../shared/sync/sync-policy.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 23, 3); // a weekly scan, Monday 03:00 UTC

function storedReadAt(readAt: number, windowDays = 7): StoredCalendar {
  return {
    userId: '201',
    appointments: [],
    window: syncWindow(readAt, windowDays),
    calendarReadAt: readAt,
    calendarReadBecause: 'scan',
    outOfOffice: { status: 'disabled', internalReplyHtml: null },
    timeZone: 'UTC',
    outOfOfficeReadAt: readAt,
    lastError: null,
  };
}

describe('§1 no appointment in the next 24 hours is ever unknown', () => {
  it('keeps the known window at least a day ahead with hourly refreshes, even when the weekly scan never comes', () => {
    let stored = storedReadAt(T0);
    // Two weeks of hourly maintenance runs, at odd minutes, and no scan at all.
    for (let t = T0 + 7 * 60_000; t < T0 + 14 * DAY; t += HOUR) {
      if (calendarIsStale(stored, t, 7)) stored = storedReadAt(t);
      assert.ok((stored.window?.end ?? 0) >= t + DAY, `window ends ${stored.window?.end} at ${t}`);
    }
  });

  const cases = [
    { name: 'never read', stored: null, age: 0, stale: true },
    { name: 'read an hour ago', stored: storedReadAt(T0), age: HOUR, stale: false },
    { name: 'read 20 hours ago', stored: storedReadAt(T0), age: 20 * HOUR, stale: false },
    { name: 'read 21 hours ago', stored: storedReadAt(T0), age: 21 * HOUR, stale: true },
    { name: 'a one-day window read an hour ago', stored: storedReadAt(T0, 1), age: HOUR, stale: true },
  ];
  for (const { name, stored, age, stale } of cases) {
    it(`${stale ? 're-reads' : 'keeps'} a calendar ${name}`, () => {
      assert.equal(calendarIsStale(stored, T0 + age, 7), stale);
    });
  }
});

describe('§2 subscriptions are renewed well before they expire', () => {
  const subscription = (expiresAt: number | null) => ({
    id: 's',
    userId: '201',
    source: 'graph' as const,
    expiresAt,
    clientState: 'x',
    watermark: null,
  });
  const cases = [
    { name: 'a missing one', value: null, renew: true },
    { name: 'one with 6 days left', value: subscription(T0 + 6 * DAY), renew: false },
    { name: 'one with 2 days left', value: subscription(T0 + 2 * DAY), renew: true },
    { name: 'an expired one', value: subscription(T0 - HOUR), renew: true },
    { name: 'an EWS push one (no expiry)', value: subscription(null), renew: false },
  ];
  for (const { name, value, renew } of cases) {
    it(`${renew ? 'renews' : 'keeps'} ${name}`, () => {
      assert.equal(subscriptionNeedsRenewal(value, T0), renew);
    });
  }
});
