import type { Mailbox } from '../calendar/calendar-source.ts';
import type { Instant } from '../presence/model.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import type { SubscriptionStore, UserStore } from '../storage/stores.ts';
import { chunk, USERS_PER_JOB } from './sync-policy.ts';
import { mailboxOf } from './user-mailbox.ts';

export interface MaintenanceDeps {
  readonly users: UserStore;
  readonly subscriptions: SubscriptionStore;
  readonly queues: WorkQueues;
  readonly integrationEnabled: () => Promise<boolean>;
  readonly now: () => Instant;
}

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
}
