import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareCalendar } from '../../shared/presence/prepare.ts';
import { floatingToInstant, toIanaZone } from '../../shared/presence/time-zone.ts';
import {
  anAllDayAppointment,
  anAppointment,
  aPresenceInput,
  floatingDate,
  utc,
} from '../support/builders.ts';
import { assertShows, available, meeting } from './expect-state.ts';

describe('§3 mailbox time zones', () => {
  const names = [
    { name: 'W. Europe Standard Time', zone: 'Europe/Berlin' },
    { name: 'Eastern Standard Time', zone: 'America/New_York' },
    { name: 'Tokyo Standard Time', zone: 'Asia/Tokyo' },
    { name: 'AUS Eastern Standard Time', zone: 'Australia/Sydney' },
    { name: 'UTC', zone: 'Etc/UTC' },
    { name: 'Europe/Berlin', zone: 'Europe/Berlin' },
    { name: 'America/New_York', zone: 'America/New_York' },
    { name: ' Pacific Standard Time ', zone: 'America/Los_Angeles' },
    { name: 'Customized Time Zone', zone: null },
    { name: 'Mars/Olympus_Mons', zone: null },
    { name: '', zone: null },
  ];
  for (const { name, zone } of names) {
    it(`maps ${JSON.stringify(name)} to ${zone}`, () => assert.equal(toIanaZone(name), zone));
  }

  it('falls back to UTC for an unknown zone and says so', () => {
    const calendar = prepareCalendar(aPresenceInput({ mailboxTimeZone: 'Customized Time Zone' }));
    assert.equal(calendar.timeZone, 'UTC');
    assert.equal(calendar.timeZoneResolved, false);
  });

  it('reports a resolved zone', () => {
    const calendar = prepareCalendar(aPresenceInput({ mailboxTimeZone: 'Eastern Standard Time' }));
    assert.equal(calendar.timeZone, 'America/New_York');
    assert.equal(calendar.timeZoneResolved, true);
  });
});

describe('§3 all-day appointments cover local midnight to midnight', () => {
  // 2026 changes: EU spring 03-29, autumn 10-25; US spring 03-08, autumn 11-01; Sydney spring 10-04.
  const days = [
    {
      zone: 'W. Europe Standard Time',
      day: '2026-11-24',
      start: '2026-11-23T23:00:00Z',
      end: '2026-11-24T23:00:00Z',
    },
    {
      zone: 'W. Europe Standard Time',
      day: '2026-03-29',
      start: '2026-03-28T23:00:00Z',
      end: '2026-03-29T22:00:00Z',
    },
    {
      zone: 'W. Europe Standard Time',
      day: '2026-10-25',
      start: '2026-10-24T22:00:00Z',
      end: '2026-10-25T23:00:00Z',
    },
    {
      zone: 'Eastern Standard Time',
      day: '2026-11-24',
      start: '2026-11-24T05:00:00Z',
      end: '2026-11-25T05:00:00Z',
    },
    {
      zone: 'Eastern Standard Time',
      day: '2026-03-08',
      start: '2026-03-08T05:00:00Z',
      end: '2026-03-09T04:00:00Z',
    },
    {
      zone: 'Eastern Standard Time',
      day: '2026-11-01',
      start: '2026-11-01T04:00:00Z',
      end: '2026-11-02T05:00:00Z',
    },
    {
      zone: 'Tokyo Standard Time',
      day: '2026-11-24',
      start: '2026-11-23T15:00:00Z',
      end: '2026-11-24T15:00:00Z',
    },
    {
      zone: 'AUS Eastern Standard Time',
      day: '2026-10-04',
      start: '2026-10-03T14:00:00Z',
      end: '2026-10-04T13:00:00Z',
    },
    {
      zone: 'America/Los_Angeles',
      day: '2026-11-24',
      start: '2026-11-24T08:00:00Z',
      end: '2026-11-25T08:00:00Z',
    },
  ];
  for (const { zone, day, start, end } of days) {
    const input = aPresenceInput({
      mailboxTimeZone: zone,
      appointments: [anAllDayAppointment(day, day, { subject: 'Offsite' })],
    });
    const before = new Date(utc(start) - 1).toISOString();
    const last = new Date(utc(end) - 1).toISOString();
    it(`${day} in ${zone}: not yet at ${before}`, () => assertShows(input, before, available(start)));
    it(`${day} in ${zone}: from ${start}`, () => assertShows(input, start, meeting('Offsite', end)));
    it(`${day} in ${zone}: still at ${last}`, () => assertShows(input, last, meeting('Offsite', end)));
    it(`${day} in ${zone}: over at ${end}`, () => assertShows(input, end, available(null)));
  }

  it('a multi-day all-day appointment spans the DST change in local midnights', () => {
    const input = aPresenceInput({
      mailboxTimeZone: 'Eastern Standard Time',
      appointments: [anAllDayAppointment('2026-10-31', '2026-11-02', { subject: 'Trip' })],
    });
    assertShows(input, '2026-10-31T04:00:00Z', meeting('Trip', '2026-11-03T05:00:00Z'));
  });

  it('an unknown zone places all-day appointments in UTC', () => {
    const input = aPresenceInput({
      mailboxTimeZone: 'Customized Time Zone',
      appointments: [anAllDayAppointment('2026-11-24', '2026-11-24', { subject: 'Offsite' })],
    });
    assertShows(input, '2026-11-24T00:00:00Z', meeting('Offsite', '2026-11-25T00:00:00Z'));
  });

  it('places floating times on a DST day, moving a skipped wall time forward', () => {
    assert.equal(floatingToInstant(floatingDate('2026-03-29'), 'Europe/Berlin'), utc('2026-03-28T23:00:00Z'));
    // 02:30 does not exist in Berlin on 2026-03-29: the wall time moves forward to 03:30 CEST.
    assert.equal(
      floatingToInstant(utc('2026-03-29T02:30:00Z'), 'Europe/Berlin'),
      utc('2026-03-29T01:30:00Z'),
    );
  });
});

describe('§3 timed appointments across daylight-saving changes', () => {
  // Timed appointments arrive as UTC instants: a DST change inside one neither stretches nor shrinks it.
  const cases = [
    { zone: 'W. Europe Standard Time', start: '2026-03-29T00:30:00Z', end: '2026-03-29T02:30:00Z' },
    { zone: 'W. Europe Standard Time', start: '2026-10-25T00:30:00Z', end: '2026-10-25T02:30:00Z' },
    { zone: 'Eastern Standard Time', start: '2026-03-08T06:30:00Z', end: '2026-03-08T08:30:00Z' },
    { zone: 'Eastern Standard Time', start: '2026-11-01T05:30:00Z', end: '2026-11-01T07:30:00Z' },
  ];
  for (const { zone, start, end } of cases) {
    const input = aPresenceInput({
      mailboxTimeZone: zone,
      appointments: [anAppointment({ subject: 'Night shift', start: utc(start), end: utc(end) })],
    });
    it(`${start}–${end} in ${zone} begins on time`, () =>
      assertShows(input, start, meeting('Night shift', end)));
    it(`${start}–${end} in ${zone} ends on time`, () => assertShows(input, end, available(null)));
  }
});
