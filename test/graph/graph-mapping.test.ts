import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toAppointment, toMailboxOutOfOffice } from '../../shared/calendar/graph/graph-mapping.ts';
import { graphEvent, mailboxSettings } from '../../shared/calendar/graph/graph-schemas.ts';

/** A Graph event as calendarView answers it without a Prefer header (UTC), overridable per case. */
function eventJson(overrides: Record<string, unknown> = {}): unknown {
  return {
    id: 'AAMk-1',
    subject: 'Design review',
    start: { dateTime: '2026-11-24T14:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-11-24T15:00:00.0000000', timeZone: 'UTC' },
    isAllDay: false,
    showAs: 'busy',
    isCancelled: false,
    sensitivity: 'normal',
    responseStatus: { response: 'accepted', time: '0001-01-01T00:00:00Z' },
    ...overrides,
  };
}

function appointmentOf(json: unknown) {
  const appointment = toAppointment(graphEvent.parse(json));
  assert.ok(appointment);
  return appointment;
}

describe('Graph events → appointments', () => {
  it('reads a timed event as UTC instants', () => {
    const appointment = appointmentOf(eventJson());
    assert.equal(appointment.start, Date.UTC(2026, 10, 24, 14));
    assert.equal(appointment.end, Date.UTC(2026, 10, 24, 15));
    assert.equal(appointment.showAs, 'busy');
    assert.equal(appointment.isDeclined, false);
  });

  it('converts a timed event that came in another zone', () => {
    const appointment = appointmentOf(
      eventJson({ start: { dateTime: '2026-11-24T15:00:00.0000000', timeZone: 'W. Europe Standard Time' } }),
    );
    assert.equal(appointment.start, Date.UTC(2026, 10, 24, 14));
  });

  it('keeps the floating dates of an all-day event whatever zone Graph names', () => {
    const appointment = appointmentOf(
      eventJson({
        isAllDay: true,
        start: { dateTime: '2026-11-24T00:00:00.0000000', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2026-11-25T00:00:00.0000000', timeZone: 'Pacific Standard Time' },
      }),
    );
    assert.equal(appointment.isAllDay, true);
    assert.equal(appointment.start, Date.UTC(2026, 10, 24));
    assert.equal(appointment.end, Date.UTC(2026, 10, 25));
  });

  const cases = [
    {
      name: 'declined',
      json: { responseStatus: { response: 'declined' } },
      field: 'isDeclined',
      value: true,
    },
    { name: 'cancelled', json: { isCancelled: true }, field: 'isCancelled', value: true },
    { name: 'capitalised showAs', json: { showAs: 'Oof' }, field: 'showAs', value: 'oof' },
    { name: 'unknown showAs', json: { showAs: 'somethingNew' }, field: 'showAs', value: 'unknown' },
    { name: 'private', json: { sensitivity: 'private' }, field: 'sensitivity', value: 'private' },
    { name: 'no subject', json: { subject: null }, field: 'subject', value: '' },
  ] as const;
  for (const { name, json, field, value } of cases) {
    it(`maps ${name}`, () => {
      assert.equal(appointmentOf(eventJson(json))[field], value);
    });
  }
});

describe('Graph mailboxSettings → out-of-office', () => {
  it('reads a capitalised Scheduled setting with its times and the mailbox zone', () => {
    const mapped = toMailboxOutOfOffice(
      mailboxSettings.parse({
        timeZone: 'W. Europe Standard Time',
        automaticRepliesSetting: {
          status: 'Scheduled',
          scheduledStartDateTime: { dateTime: '2026-11-24T08:00:00.0000000', timeZone: 'UTC' },
          scheduledEndDateTime: { dateTime: '2026-11-28T08:00:00.0000000', timeZone: 'UTC' },
          internalReplyMessage: '<p>Back Monday</p>',
        },
      }),
    );
    assert.deepEqual(mapped, {
      timeZone: 'W. Europe Standard Time',
      outOfOffice: {
        status: 'scheduled',
        start: Date.UTC(2026, 10, 24, 8),
        end: Date.UTC(2026, 10, 28, 8),
        internalReplyHtml: '<p>Back Monday</p>',
      },
    });
  });

  it('reads alwaysEnabled as enabled and an empty reply as none', () => {
    const mapped = toMailboxOutOfOffice(
      mailboxSettings.parse({
        automaticRepliesSetting: { status: 'AlwaysEnabled', internalReplyMessage: '' },
      }),
    );
    assert.deepEqual(mapped, {
      timeZone: 'UTC',
      outOfOffice: { status: 'enabled', internalReplyHtml: null },
    });
  });

  it('rejects a status Graph never sends', () => {
    assert.equal(
      mailboxSettings.safeParse({ automaticRepliesSetting: { status: 'sometimes' } }).success,
      false,
    );
  });
});
