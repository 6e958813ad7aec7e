import { calendarSyncJob } from '../shared/app/wire-sync.ts';
import { QUEUES } from '../shared/queues/messages.ts';
import { defineQueue } from '../shared/runtime/define-function.ts';

/** The calendar-sync job for change notices, on a queue of its own so that no scan delays them. */
export const calendarChangesQueue = defineQueue({
  name: 'calendar-changes-queue',
  queueName: QUEUES.calendarChanges,
  handler: calendarSyncJob,
});
