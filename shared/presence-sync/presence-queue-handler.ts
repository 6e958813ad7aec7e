import type { InvocationContext } from '@azure/functions';
import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import {
  type PresenceGroupMessage,
  type PresenceMessage,
  presenceGroupMessage,
  presenceMessage,
  QUEUES,
  type WorkQueues,
} from '../queues/messages.ts';
import { deliveryCount, redeliveredSince } from '../runtime/delivery-count.ts';
import { Limiter } from '../runtime/limiter.ts';
import { type RecalculatePresenceDeps, recalculateOrRetry } from './recalculate-presence.ts';

/** The presence worker's parts: the recalculation it runs per user, and where it logs and requeues. */
export interface PresenceQueueDeps {
  readonly recalculation: RecalculatePresenceDeps;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
}

/**
 * The presence queue trigger's one use case. A message that is not a presence message can never
 * succeed: it is logged and dropped, not retried. A recalculation that fails schedules its own
 * retry with back-off (recalculateOrRetry); only when even that cannot be queued is the error
 * logged and thrown, so the queue retries it and, after host.json `maxDequeueCount`, moves it
 * to `presence-poison`, which the hourly maintenance re-runs.
 */
export async function handlePresenceQueueMessage(
  deps: PresenceQueueDeps,
  raw: unknown,
  context: InvocationContext,
): Promise<void> {
  const group = presenceGroupMessage.safeParse(raw);
  if (group.success) return handleGroup(deps, group.data, context);
  const parsed = presenceMessage.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reason =
      issue === undefined
        ? 'not a presence message'
        : `${issue.path.join('.') || 'message'}: ${issue.message}`;
    await deps.log.write(`Dropped a malformed presence message (${reason})`, 'warning');
    return;
  }
  try {
    await recalculateOne(deps, parsed.data, context);
  } catch (error) {
    await logFailure(deps, parsed.data.userId, error, context);
    throw error;
  }
}

/**
 * Each user of the group at once. Users whose recalculation failed are queued again on their
 * own, so retries and the poison queue work per user; when even that fails, the whole group is
 * retried (recalculating a user twice ends in the same state).
 */
async function handleGroup(
  deps: PresenceQueueDeps,
  group: PresenceGroupMessage,
  context: InvocationContext,
): Promise<void> {
  const startedAt = deps.recalculation.now();
  const outcomes = await Promise.allSettled(
    group.userIds.map((userId) =>
      groupSlots.run(() => recalculateOne(deps, presenceMessage.parse({ ...alone(group), userId }), context)),
    ),
  );
  const failed: string[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const userId = group.userIds[i];
    if (outcome.status === 'fulfilled' || userId === undefined) continue;
    failed.push(userId);
    await logFailure(deps, userId, outcome.reason, context);
  }
  await Promise.all(
    failed.map((userId) =>
      deps.queues.send(QUEUES.presence, {
        ...alone(group),
        userId,
        // A failed recalculation may have reserved a push it never made.
        unconfirmedSince: Math.min(startedAt, group.unconfirmedSince ?? startedAt),
      }),
    ),
  );
}

/** What a user of the group is recalculated for, as in a message of their own. */
function alone(group: PresenceGroupMessage) {
  return {
    reason: group.reason,
    ...(group.wakeAt === undefined ? {} : { wakeAt: group.wakeAt }),
    ...(group.notifiedAt === undefined ? {} : { notifiedAt: group.notifiedAt }),
    ...(group.unconfirmedSince === undefined ? {} : { unconfirmedSince: group.unconfirmedSince }),
  };
}

/**
 * Recalculations of grouped users under way at once in this process: the queue trigger's batch
 * bounds messages, not users, and twenty per message would hold far more in memory.
 */
const GROUPED_AT_ONCE = 48;

const groupSlots = new Limiter(GROUPED_AT_ONCE);

async function recalculateOne(
  deps: PresenceQueueDeps,
  message: PresenceMessage,
  context: InvocationContext,
): Promise<void> {
  // A message delivered again: its first run may have stopped between reserving and pushing.
  const since = redeliveredSince(context);
  const outcome = await recalculateOrRetry(
    deps.recalculation,
    message,
    since === undefined ? {} : { unconfirmedSince: since },
  );
  context.debug(`presence ${message.userId} (${message.reason}): ${outcome}`);
}

async function logFailure(
  deps: PresenceQueueDeps,
  userId: string,
  error: unknown,
  context: InvocationContext,
): Promise<void> {
  const reason = error instanceof AppError ? error.message : 'internal error';
  const attempt = deliveryCount(context);
  await deps.log
    .write(
      `Presence recalculation of user ${userId} failed${attempt === null ? '' : ` (attempt ${attempt})`}: ${reason}`,
      'error',
    )
    .catch(() => undefined);
}
