import { getServices } from '../shared/app/services.ts';
import { wirePresenceQueue } from '../shared/app/wire-presence.ts';
import { handlePresenceQueueMessage } from '../shared/presence-sync/presence-queue-handler.ts';
import { QUEUES } from '../shared/queues/messages.ts';
import { defineQueue } from '../shared/runtime/define-function.ts';

/** SPEC §2: recompute one user's availability, push it if it changed, schedule the next transition. */
export const presenceQueue = defineQueue({
  name: 'presence-queue',
  queueName: QUEUES.presence,
  handler: (message, context) =>
    handlePresenceQueueMessage(wirePresenceQueue(getServices()), message, context),
});
