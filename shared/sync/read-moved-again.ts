import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import { chunk, USERS_PER_JOB } from './sync-policy.ts';

/**
 * Users whose mailbox the calendar source now reads elsewhere (a hybrid mailbox that moved):
 * a full resync subscribes them there, ends the old subscription, and reads their calendar again.
 */
export async function readMovedAgain(queues: WorkQueues, userIds: readonly string[]): Promise<void> {
  await Promise.all(
    chunk([...userIds], USERS_PER_JOB).map((batch) =>
      queues.send(QUEUES.calendarSync, {
        userIds: batch,
        reason: 'resync',
        outOfOfficeOnly: false,
      } satisfies CalendarSyncMessage),
    ),
  );
}
