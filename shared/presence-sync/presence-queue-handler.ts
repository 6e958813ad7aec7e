import type { InvocationContext } from '@azure/functions';
import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import { presenceMessage } from '../queues/messages.ts';
import { type RecalculatePresenceDeps, recalculatePresence } from './recalculate-presence.ts';

export function recalculateDeps(services: Services): RecalculatePresenceDeps {
  return {
    users: services.users,
    calendars: services.calendars,
    presence: services.presence,
    phonelink: services.phonelink,
    queues: services.queues,
    log: services.log,
    health: services.phonelinkHealth,
    policy: services.settings.policy,
    // The services follow settings changed on the admin page.
    integrationEnabled: () => services.settings.integrationEnabled,
    now: Date.now,
  };
}

/**
 * The presence queue trigger's one use case. A message that is not a presence message can never
 * succeed: it is logged and dropped, not retried. Anything else that fails is logged with its
 * reason and thrown, so the queue retries it and, after host.json `maxDequeueCount`, moves it
 * to `presence-poison`.
 */
export async function handlePresenceQueueMessage(
  services: Services,
  raw: unknown,
  context: InvocationContext,
): Promise<void> {
  const parsed = presenceMessage.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reason =
      issue === undefined
        ? 'not a presence message'
        : `${issue.path.join('.') || 'message'}: ${issue.message}`;
    await services.log.write(`Dropped a malformed presence message (${reason})`, 'warning');
    return;
  }
  const message = parsed.data;
  try {
    const outcome = await recalculatePresence(recalculateDeps(services), message);
    context.debug(`presence ${message.userId} (${message.reason}): ${outcome}`);
  } catch (error) {
    const reason = error instanceof AppError ? error.message : 'internal error';
    const attempt = dequeueCount(context);
    await services.log
      .write(
        `Presence recalculation of user ${message.userId} failed${attempt === null ? '' : ` (attempt ${attempt})`}: ${reason}`,
        'error',
      )
      .catch(() => undefined);
    throw error;
  }
}

function dequeueCount(context: InvocationContext): number | null {
  const value = context.triggerMetadata?.dequeueCount;
  return typeof value === 'number' ? value : null;
}
