import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatExchangeVersion,
  parseUtc,
  toAppointment,
  toOutOfOffice,
} from '../../shared/calendar/ews/ews-mapping.ts';
import type { EwsCalendarItem } from '../../shared/calendar/ews/ews-operations.ts';
import { floatingDate, utc } from '../support/builders.ts';

function anItem(fields: Partial<EwsCalendarItem> = {}): EwsCalendarItem {
  return {
    ItemId: { '@_Id': 'AAMkAD1' },
    Subject: 'Design review',
    Sensitivity: 'Normal',
    Start: '2026-11-24T09:00:00Z',
    End: '2026-11-24T10:00:00Z',
    IsAllDayEvent: 'false',
    LegacyFreeBusyStatus: 'Busy',
    IsCancelled: 'false',
    MyResponseType: 'Organizer',
    ...fields,
  };
}

describe('§6 the Exchange version line', () => {
  const cases = [
    { version: '14.3.181.6', expected: 'v14.03.0181.0006' },
    { version: '15.2.1544.4', expected: 'v15.02.1544.0004' },
    { version: '15.1.2507.39', expected: 'v15.01.2507.0039' },
    { version: '15.0.1497.48', expected: 'v15.00.1497.0048' },
  ];
  for (const { version, expected } of cases) {
    it(`writes ${version} as ${expected}`, () => {
      const [major = 0, minor = 0, build = 0, revision = 0] = version.split('.').map(Number);
      assert.equal(formatExchangeVersion({ major, minor, build, revision }), expected);
    });
  }
});

describe('EWS CalendarItem → appointment', () => {
  const showAs = [
    ['Free', 'free'],
    ['Tentative', 'tentative'],
    ['Busy', 'busy'],
    ['OOF', 'oof'],
    ['WorkingElsewhere', 'workingElsewhere'],
    ['NoData', 'unknown'],
  ] as const;
  for (const [legacy, expected] of showAs) {
    it(`maps LegacyFreeBusyStatus ${legacy} to ${expected}`, () => {
      assert.equal(toAppointment(anItem({ LegacyFreeBusyStatus: legacy }), null)?.showAs, expected);
    });
  }

  it('marks declined and cancelled meetings and keeps the sensitivity', () => {
    const appointment = toAppointment(
      anItem({ MyResponseType: 'Decline', IsCancelled: 'true', Sensitivity: 'Confidential' }),
      null,
    );
    assert.deepEqual(
      { d: appointment?.isDeclined, c: appointment?.isCancelled, s: appointment?.sensitivity },
      { d: true, c: true, s: 'confidential' },
    );
  });

  const allDay = [
    {
      name: 'Berlin, winter',
      zone: 'W. Europe Standard Time',
      start: '2026-11-23T23:00:00Z',
      end: '2026-11-24T23:00:00Z',
    },
    {
      name: 'New York',
      zone: 'Eastern Standard Time',
      start: '2026-11-24T05:00:00Z',
      end: '2026-11-25T05:00:00Z',
    },
    {
      name: 'Berlin, across the DST change',
      zone: 'Europe/Berlin',
      start: '2026-10-23T22:00:00Z',
      end: '2026-10-25T23:00:00Z',
    },
  ];
  for (const c of allDay) {
    it(`reads an all-day item back as floating dates in its zone (${c.name})`, () => {
      const appointment = toAppointment(
        anItem({ IsAllDayEvent: 'true', Start: c.start, End: c.end, StartTimeZone: { '@_Id': c.zone } }),
        null,
      );
      const local = (instant: number) => new Date(instant).toISOString().slice(0, 10);
      assert.equal(appointment?.isAllDay, true);
      assert.equal(appointment?.start, floatingDate(local(Date.parse(c.start) + 12 * 3600_000)));
      assert.equal(appointment?.end, floatingDate(local(Date.parse(c.end) + 12 * 3600_000)));
    });
  }

  it('falls back to the mailbox zone when the item names none', () => {
    const appointment = toAppointment(
      anItem({ IsAllDayEvent: 'true', Start: '2026-11-23T23:00:00Z', End: '2026-11-24T23:00:00Z' }),
      'W. Europe Standard Time',
    );
    assert.deepEqual(
      [appointment?.start, appointment?.end],
      [floatingDate('2026-11-24'), floatingDate('2026-11-25')],
    );
  });

  it('drops an item whose times cannot be read', () => {
    assert.equal(toAppointment(anItem({ Start: 'yesterday' }), null), null);
  });

  it('keeps timed items as UTC instants', () => {
    const appointment = toAppointment(anItem(), 'W. Europe Standard Time');
    assert.deepEqual(
      [appointment?.start, appointment?.end],
      [utc('2026-11-24T09:00:00Z'), utc('2026-11-24T10:00:00Z')],
    );
  });
});

describe('EWS OofSettings → out-of-office', () => {
  it('maps Disabled, Enabled and Scheduled with the internal reply', () => {
    assert.deepEqual(toOutOfOffice({ OofState: 'Disabled', InternalReply: { Message: '' } }), {
      status: 'disabled',
      internalReplyHtml: null,
    });
    assert.deepEqual(toOutOfOffice({ OofState: 'Enabled', InternalReply: { Message: '<p>Away</p>' } }), {
      status: 'enabled',
      internalReplyHtml: '<p>Away</p>',
    });
    assert.deepEqual(
      toOutOfOffice({
        OofState: 'Scheduled',
        Duration: { StartTime: '2026-11-25T00:00:00Z', EndTime: '2026-11-27T00:00:00Z' },
      }),
      {
        status: 'scheduled',
        start: utc('2026-11-25T00:00:00Z'),
        end: utc('2026-11-27T00:00:00Z'),
        internalReplyHtml: null,
      },
    );
    assert.equal(toOutOfOffice({ OofState: 'Scheduled' }), null);
    assert.equal(toOutOfOffice({ OofState: 'Sometimes' }), null);
  });
});

describe('EWS Duration times are UTC whether or not they say so', () => {
  const cases = [
    { text: '2008-02-01T00:00:00', expected: utc('2008-02-01T00:00:00Z') },
    { text: '2026-11-25T08:30:00', expected: utc('2026-11-25T08:30:00Z') },
    { text: '2026-11-25T08:30:00.500', expected: utc('2026-11-25T08:30:00.500Z') },
    { text: '2026-11-25T08:30:00Z', expected: utc('2026-11-25T08:30:00Z') },
    { text: '2026-11-25T09:30:00+01:00', expected: utc('2026-11-25T08:30:00Z') },
    { text: '25.11.2026 08:30', expected: Number.NaN },
    { text: '', expected: Number.NaN },
  ];
  for (const c of cases)
    it(`reads ${JSON.stringify(c.text)}`, () => assert.equal(parseUtc(c.text), c.expected));
});
