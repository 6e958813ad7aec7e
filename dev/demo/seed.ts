import type { ShowAs } from '../../shared/presence/model.ts';
import type { EventInput, Mailboxes } from '../exchange-sim/mailboxes.ts';
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
  for (const [email, event] of demoEvents(t0)) mailboxes.createEvent(email, event);

  // Carla: out of office from 45 s in, for three days.
  mailboxes.setAutomaticReplies('carla@contoso.com', {
    status: 'scheduled',
    start: t0 + 45 * SECOND,
    end: t0 + 3 * 24 * HOUR,
    internalReplyMessage: '<p>I am at the <b>partner conference</b> and back on Monday.</p>',
  });
  // Eve: automatic replies on (and an all-day out-of-office appointment tomorrow, below).
  mailboxes.setAutomaticReplies('eve@contoso.com', {
    status: 'alwaysEnabled',
    internalReplyMessage: '<p>On parental leave. Please call the front desk.</p>',
  });
}

/** The demo's appointments, by mailbox, relative to the start `t0`. */
function demoEvents(t0: number): readonly (readonly [string, EventInput])[] {
  const day = Math.floor(t0 / (24 * HOUR)) * 24 * HOUR;
  const date = (instant: number) => new Date(instant).toISOString().slice(0, 10);
  const at = (subject: string, start: number, end: number, showAs: ShowAs = 'busy'): EventInput => ({
    subject,
    start: t0 + start,
    end: t0 + end,
    showAs,
  });
  return [
    // Ann: free now, in a meeting from 20 s to 80 s, another one tomorrow.
    ['ann@contoso.com', at('Design review', 20 * SECOND, 80 * SECOND)],
    ['ann@contoso.com', at('Customer call', 26 * HOUR, 27 * HOUR)],
    ['ann@contoso.com', at('Lunch (free)', 3 * HOUR, 4 * HOUR, 'free')],
    // Bob: in a meeting now that ends 35 s in; a tentative one later; one he declined.
    ['bob@contoso.com', at('Weekly sync', -25 * MINUTE, 35 * SECOND)],
    ['bob@contoso.com', at('Maybe: budget', 2 * HOUR, 3 * HOUR, 'tentative')],
    ['bob@contoso.com', { ...at('Declined offsite', 5 * HOUR, 6 * HOUR), response: 'declined' }],
    // Dan: a private appointment from 30 s to 2 min: Meeting, and its subject is never shown.
    ['dan@contoso.com', { ...at('Doctor', 30 * SECOND, 2 * MINUTE), sensitivity: 'private' }],
    ['dan@contoso.com', at('Back-to-back 1', 4 * HOUR, 5 * HOUR)],
    ['dan@contoso.com', at('Back-to-back 2', 5 * HOUR, 6 * HOUR)],
    // Eve: an all-day out-of-office appointment tomorrow.
    [
      'eve@contoso.com',
      {
        subject: 'Training day',
        isAllDay: true,
        startDate: date(day + 24 * HOUR),
        endDate: date(day + 48 * HOUR),
        showAs: 'oof',
      },
    ],
    // Gus has a calendar too, but Calendar Integration is not ticked for him.
    ['gus@contoso.com', at('Inventory', 20 * SECOND, 40 * MINUTE)],
  ];
}
