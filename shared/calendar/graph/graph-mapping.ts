import type { Appointment, OutOfOffice } from '../../presence/model.ts';
import type { MailboxOutOfOffice } from '../calendar-source.ts';
import { floatingInstant, graphInstant } from './graph-date-time.ts';
import type { GraphEvent, GraphMailboxSettings } from './graph-schemas.ts';

/**
 * Graph event → Appointment. All-day events come back as floating midnight dates whatever
 * the Prefer header says, so they keep their wall-clock dates (model.ts); timed ones become
 * UTC instants. An event whose times cannot be read is dropped by the caller (null).
 */
export function toAppointment(event: GraphEvent): Appointment | null {
  const isAllDay = event.isAllDay === true;
  const start = isAllDay ? floatingInstant(event.start.dateTime) : graphInstant(event.start);
  const end = isAllDay ? floatingInstant(event.end.dateTime) : graphInstant(event.end);
  if (start === null || end === null || end < start) return null;
  return {
    id: event.id,
    subject: event.subject ?? '',
    start,
    end,
    isAllDay,
    showAs: event.showAs,
    isCancelled: event.isCancelled === true,
    isDeclined: event.responseStatus?.response?.toLowerCase() === 'declined',
    sensitivity: event.sensitivity,
  };
}

/** mailboxSettings → the out-of-office setting and the mailbox time zone (UTC when Exchange names none). */
export function toMailboxOutOfOffice(settings: GraphMailboxSettings): MailboxOutOfOffice | null {
  const timeZone = settings.timeZone?.trim() || 'UTC';
  const replies = settings.automaticRepliesSetting;
  const internalReplyHtml = replies?.internalReplyMessage?.trim() ? replies.internalReplyMessage : null;
  let outOfOffice: OutOfOffice;
  switch (replies?.status ?? 'disabled') {
    case 'disabled':
      outOfOffice = { status: 'disabled', internalReplyHtml };
      break;
    case 'alwaysEnabled':
      outOfOffice = { status: 'enabled', internalReplyHtml };
      break;
    case 'scheduled': {
      const start = replies?.scheduledStartDateTime ? graphInstant(replies.scheduledStartDateTime) : null;
      const end = replies?.scheduledEndDateTime ? graphInstant(replies.scheduledEndDateTime) : null;
      if (start === null || end === null) return null;
      outOfOffice = { status: 'scheduled', start, end, internalReplyHtml };
      break;
    }
  }
  return { outOfOffice, timeZone };
}
