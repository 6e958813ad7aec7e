import { calendarSyncJob } from '../shared/app/wire-sync.ts';
import { QUEUES } from '../shared/queues/messages.ts';
import { defineQueue } from '../shared/runtime/define-function.ts';

/** Reads up to 20 users' calendars and out-of-office from Exchange, stores them, (re)subscribes. */
export const calendarSyncQueue = defineQueue({
  name: 'calendar-sync-queue',
  queueName: QUEUES.calendarSync,
  handler: calendarSyncJob,
});
