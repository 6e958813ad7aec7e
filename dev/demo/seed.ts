import type { Mailboxes } from '../exchange-sim/mailboxes.ts';
import type { SimUser } from '../phonelink-sim/phonelink-simulator.ts';

/**
 * The demo's people. Their calendars are laid relative to the moment the demo starts, so that
 * availability visibly changes within the first minute: meetings begin and end 20–50 s in, an
 * out-of-office begins, a private meeting shows without its subject, and one user without an
 * email address is skipped (the log says so).
 */
export const DEMO_USERS: readonly SimUser[] = [
  { id: '201', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true },
  { id: '202', name: 'Bob Jones', email: 'bob@contoso.com', calendarIntegration: true },
  { id: '203', name: 'Carla Diaz', email: 'carla@contoso.com', calendarIntegration: true },
  { id: '204', name: 'Dan Miller', email: 'dan@contoso.com', calendarIntegration: true },
  { id: '205', name: 'Eve Porter', email: 'eve@contoso.com', calendarIntegration: true },
  { id: '206', name: 'Front Desk', email: null, calendarIntegration: true },
  { id: '207', name: 'Gus Warehouse', email: 'gus@contoso.com', calendarIntegration: false },
];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Fills the simulated mailboxes; `t0` is the demo's start. */
export function seedMailboxes(mailboxes: Mailboxes, t0: number): void {
  for (const user of DEMO_USERS) {
    if (user.email) mailboxes.addUser({ email: user.email, displayName: user.name, id: `demo-${user.id}` });
  }
  const day = Math.floor(t0 / (24 * HOUR)) * 24 * HOUR;

  // Ann: free now, in a meeting from 20 s to 80 s, another one tomorrow.
  mailboxes.createEvent('ann@contoso.com', {
    subject: 'Design review',
    start: t0 + 20 * SECOND,
    end: t0 + 80 * SECOND,
    showAs: 'busy',
  });
  mailboxes.createEvent('ann@contoso.com', {
    subject: 'Customer call',
    start: t0 + 26 * HOUR,
    end: t0 + 27 * HOUR,
    showAs: 'busy',
  });
  mailboxes.createEvent('ann@contoso.com', {
    subject: 'Lunch (free)',
    start: t0 + 3 * HOUR,
    end: t0 + 4 * HOUR,
    showAs: 'free',
  });

  // Bob: in a meeting now that ends 35 s in; a tentative one later; one he declined.
  mailboxes.createEvent('bob@contoso.com', {
    subject: 'Weekly sync',
    start: t0 - 25 * MINUTE,
    end: t0 + 35 * SECOND,
    showAs: 'busy',
  });
  mailboxes.createEvent('bob@contoso.com', {
    subject: 'Maybe: budget',
    start: t0 + 2 * HOUR,
    end: t0 + 3 * HOUR,
    showAs: 'tentative',
  });
  mailboxes.createEvent('bob@contoso.com', {
    subject: 'Declined offsite',
    start: t0 + 5 * HOUR,
    end: t0 + 6 * HOUR,
    showAs: 'busy',
    response: 'declined',
  });

  // Carla: out of office from 45 s in, for three days.
  mailboxes.setAutomaticReplies('carla@contoso.com', {
    status: 'scheduled',
    start: t0 + 45 * SECOND,
    end: t0 + 3 * 24 * HOUR,
    internalReplyMessage: '<p>I am at the <b>partner conference</b> and back on Monday.</p>',
  });

  // Dan: a private appointment from 30 s to 2 min: Meeting, and its subject is never shown.
  mailboxes.createEvent('dan@contoso.com', {
    subject: 'Doctor',
    start: t0 + 30 * SECOND,
    end: t0 + 2 * MINUTE,
    showAs: 'busy',
    sensitivity: 'private',
  });
  mailboxes.createEvent('dan@contoso.com', {
    subject: 'Back-to-back 1',
    start: t0 + 4 * HOUR,
    end: t0 + 5 * HOUR,
    showAs: 'busy',
  });
  mailboxes.createEvent('dan@contoso.com', {
    subject: 'Back-to-back 2',
    start: t0 + 5 * HOUR,
    end: t0 + 6 * HOUR,
    showAs: 'busy',
  });

  // Eve: automatic replies on, and an all-day out-of-office appointment tomorrow.
  mailboxes.setAutomaticReplies('eve@contoso.com', {
    status: 'alwaysEnabled',
    internalReplyMessage: '<p>On parental leave. Please call the front desk.</p>',
  });
  const tomorrow = new Date(day + 24 * HOUR).toISOString().slice(0, 10);
  const dayAfter = new Date(day + 48 * HOUR).toISOString().slice(0, 10);
  mailboxes.createEvent('eve@contoso.com', {
    subject: 'Training day',
    isAllDay: true,
    startDate: tomorrow,
    endDate: dayAfter,
    showAs: 'oof',
  });

  // Gus has a calendar too, but Calendar Integration is not ticked for him.
  mailboxes.createEvent('gus@contoso.com', {
    subject: 'Inventory',
    start: t0 + 20 * SECOND,
    end: t0 + 40 * MINUTE,
    showAs: 'busy',
  });
}
