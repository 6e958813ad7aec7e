import type { Mailbox } from '../calendar/calendar-source.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Instant, Policy } from '../presence/model.ts';
import {
  type CalendarSyncMessage,
  type PoisonQueues,
  poisonQueueOf,
  QUEUES,
  type WorkQueues,
} from '../queues/messages.ts';
import type { CalendarStore, PresenceStore, SubscriptionStore, UserStore } from '../storage/stores.ts';
import { getTelemetry } from '../telemetry/telemetry.ts';
import { usersOutOfStep } from './out-of-step.ts';
import { chunk, USERS_PER_JOB } from './sync-policy.ts';
import { mailboxOf } from './user-mailbox.ts';

export interface MaintenanceDeps {
  readonly users: UserStore;
  readonly subscriptions: SubscriptionStore;
  readonly presence: PresenceStore;
  readonly calendars: CalendarStore;
  readonly queues: WorkQueues;
  readonly poison: PoisonQueues;
  readonly log: AdminLog;
  readonly policy: Policy;
  readonly integrationEnabled: () => Promise<boolean>;
  readonly now: () => Instant;
}

/** Poisoned messages put back per queue and run: bounded, so a flood is worked off over several hours. */
const RERUN_PER_QUEUE = 1000;

/** Hourly (see maintenance-timer): often enough that a manually switched-on out-of-office shows within the hour. */
export const MAINTENANCE_SCHEDULE = '0 7 * * * *';

/**
 * Exchange sends no notification when out-of-office settings change, and subscriptions and the
 * known window age: so every integrated user gets a quiet 'refresh-oof' job each run. The job
 * reads the out-of-office setting, re-reads a calendar older than 20 hours, and renews a
 * subscription with fewer than 3 days left or recreates a missing one (sync-policy.ts). Users
 * with subscriptions not renewed in time get a full resync instead. No Exchange call here:
 * the jobs batch them.
 */
export async function runMaintenance(deps: MaintenanceDeps): Promise<void> {
  if (!(await deps.integrationEnabled())) return;
  const [users, subscriptions] = await Promise.all([deps.users.list(), deps.subscriptions.list()]);
  const now = deps.now();
  const subscriptionOf = new Map(subscriptions.map((s) => [s.userId, s]));
  const integrated = users.flatMap((user) => {
    const mailbox = user.integrated ? mailboxOf(user) : null;
    return mailbox === null ? [] : [mailbox];
  });
  // A lapsed subscription means notices were lost: read everything again.
  const lapsed = integrated.filter((mailbox) => {
    const expiresAt = subscriptionOf.get(mailbox.userId)?.expiresAt;
    return expiresAt != null && expiresAt <= now;
  });
  // Operators are alerted on this (infra/core/alerts.bicep).
  getTelemetry().subscriptionsLapsed(lapsed.length);
  const lapsedIds = new Set(lapsed.map((mailbox) => mailbox.userId));
  const refresh = integrated.filter((mailbox) => !lapsedIds.has(mailbox.userId));
  const send = (mailboxes: readonly Mailbox[], resync: boolean) =>
    deps.queues.send(QUEUES.calendarSync, {
      userIds: mailboxes.map((mailbox) => mailbox.userId),
      reason: resync ? 'resync' : 'refresh-oof',
      outOfOfficeOnly: !resync,
      // The directory was just listed: the jobs need not look each user up again.
      mailboxes: [...mailboxes],
    } satisfies CalendarSyncMessage);
  await Promise.all([
    ...chunk(lapsed, USERS_PER_JOB).map((batch) => send(batch, true)),
    ...chunk(refresh, USERS_PER_JOB).map((batch) => send(batch, false)),
  ]);
  await rerunPoisoned(deps);
  await pushOutOfStep(
    deps,
    integrated.map((mailbox) => mailbox.userId),
  );
}

/**
 * SPEC §4 "never lose the update": messages the host gave up on (host.json maxDequeueCount) go
 * back on their queue, with a log line naming them, rather than waiting unseen in `-poison`.
 */
async function rerunPoisoned(deps: MaintenanceDeps): Promise<void> {
  for (const queue of Object.values(QUEUES)) {
    const rerun = await deps.poison.rerun(queue, RERUN_PER_QUEUE);
    if (rerun.length === 0) continue;
    const users = [...new Set(rerun.flatMap(usersOf))];
    await deps.log.write(
      `Maintenance re-ran ${rerun.length} message(s) from ${poisonQueueOf(queue)}${
        users.length === 0 ? '' : ` (users ${named(users)})`
      }`,
      'warning',
    );
  }
}

/** Users whose PHONE-LiNK presence or wake-up is out of step with their calendar: recalculated now. */
async function pushOutOfStep(deps: MaintenanceDeps, userIds: readonly string[]): Promise<void> {
  const behind = await usersOutOfStep(deps, userIds);
  if (behind.length === 0) return;
  await Promise.all(
    behind.map((userId) => deps.queues.send(QUEUES.presence, { userId, reason: 'retry', attempt: 0 })),
  );
  await deps.log.write(
    `Maintenance found ${behind.length} user(s) out of step with their calendar, recalculating: ${named(behind)}`,
    'warning',
  );
}

function usersOf(message: unknown): string[] {
  if (typeof message !== 'object' || message === null) return [];
  if ('userId' in message && typeof message.userId === 'string') return [message.userId];
  if ('userIds' in message && Array.isArray(message.userIds)) {
    return message.userIds.filter((id): id is string => typeof id === 'string');
  }
  return [];
}

/** At most 20 ids in a log line. */
function named(userIds: readonly string[]): string {
  const shown = userIds.slice(0, 20).join(', ');
  return userIds.length > 20 ? `${shown} and ${userIds.length - 20} more` : shown;
}
