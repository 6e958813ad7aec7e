import { getServices } from '../shared/app/services.ts';
import { wireCalendarSync } from '../shared/app/wire-sync.ts';
import { QUEUES } from '../shared/queues/messages.ts';
import { defineQueue } from '../shared/runtime/define-function.ts';
import { redeliveredSince } from '../shared/runtime/delivery-count.ts';
import { runCalendarSync } from '../shared/sync/calendar-sync.ts';

/** Reads up to 20 users' calendars and out-of-office from Exchange, stores them, (re)subscribes. */
export const calendarSyncQueue = defineQueue({
  name: 'calendar-sync-queue',
  queueName: QUEUES.calendarSync,
  handler: (message, context) =>
    runCalendarSync(wireCalendarSync(getServices()), message, redeliveredSince(context)),
});
