import type { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import { backoffSeconds } from '../runtime/retry.ts';

/** Tries of one user's read, this one included, before it is left to the hourly refresh. */
export const MAX_READ_ATTEMPTS = 5;
const FIRST_DELAY_SECONDS = 5;
const MAX_DELAY_SECONDS = 900;

/**
 * Users whose read Exchange throttled or did not answer are read again later in a job of their
 * own, after a back-off (never sooner than Retry-After); the others' job is complete. So the
 * queue delivers a message again only when a run stopped before it completed, which is what
 * makes a delivered-again message push what its first run may not have.
 */
export async function readAgainLater(
  deps: { readonly queues: WorkQueues; readonly log: AdminLog },
  message: CalendarSyncMessage,
  userIds: readonly string[],
  cause: AppError,
): Promise<void> {
  const attempt = (message.attempt ?? 0) + 1;
  if (attempt >= MAX_READ_ATTEMPTS) {
    await deps.log.write(
      `Gave up reading ${userIds.length} mailbox(es) after ${attempt} tries (${cause.message}); the hourly refresh reads them again`,
      'error',
    );
    return;
  }
  const again = new Set(userIds);
  const { mailboxes, subscriptions, ewsWatermarks } = message;
  await deps.queues.send(
    QUEUES.calendarSync,
    {
      ...message,
      userIds: [...userIds],
      attempt,
      ...(mailboxes === undefined ? {} : { mailboxes: mailboxes.filter((m) => again.has(m.userId)) }),
      ...(subscriptions === undefined
        ? {}
        : { subscriptions: subscriptions.filter((s) => again.has(s.userId)) }),
      ...(ewsWatermarks === undefined
        ? {}
        : { ewsWatermarks: ewsWatermarks.filter((w) => again.has(w.userId)) }),
    } satisfies CalendarSyncMessage,
    delaySeconds(attempt, cause.retryAfterSeconds),
  );
}

function delaySeconds(attempt: number, retryAfterSeconds: number | undefined): number {
  const backoff = { firstSeconds: FIRST_DELAY_SECONDS, capSeconds: MAX_DELAY_SECONDS };
  return Math.min(backoffSeconds(attempt - 1, backoff, retryAfterSeconds), MAX_DELAY_SECONDS);
}
