import type { CalendarSource } from '../calendar/calendar-source.ts';
import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import { type CalendarSyncMessage, QUEUES, scanMessage, type WorkQueues } from '../queues/messages.ts';
import type {
  CalendarStore,
  HealthStore,
  SubscriptionStore,
  UserRecord,
  UserStore,
} from '../storage/stores.ts';
import { checkInBatches } from './check-mailboxes.ts';
import { resolveMailboxes } from './resolve-mailboxes.ts';
import { chunk, USERS_PER_JOB } from './sync-policy.ts';
import { mailboxOf } from './user-mailbox.ts';

export interface ScanDeps {
  readonly calendarSource: CalendarSource;
  /** SPEC §4 directory sync, bound to its dependencies. */
  readonly syncDirectory: () => Promise<{
    readonly integrated: readonly UserRecord[];
    readonly removed: readonly UserRecord[];
    readonly joined: readonly UserRecord[];
  }>;
  readonly subscriptions: SubscriptionStore;
  readonly calendars: CalendarStore;
  /** Where the directory id each address resolves to is kept. */
  readonly users: UserStore;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  /** Where the scan reports whether Exchange answered (GET /api/status). */
  readonly health: HealthStore;
  /** The "Activate" box, as it is now (the admin API can change it at run time). */
  readonly integrationEnabled: () => Promise<boolean>;
  readonly now: () => Instant;
}

/**
 * The scan (start-up, weekly, Force now): connect to Exchange, sync the PHONE-LiNK directory,
 * drop the subscriptions of users who left the integration, and fan out one calendar-sync job
 * per 20 integrated users. The jobs do the reading, so a scan of 10,000 users takes seconds here.
 */
export async function runScan(deps: ScanDeps, input: unknown): Promise<void> {
  const parsed = scanMessage.safeParse(input);
  if (!parsed.success) {
    await deps.log.write('Ignored a malformed scan message', 'warning');
    return;
  }
  if (!(await deps.integrationEnabled())) {
    await deps.log.write('Calendar integration is not activated: scan skipped');
    return;
  }
  try {
    await deps.calendarSource.connect(deps.log);
  } catch (error) {
    await deps.health.report('exchange', { ok: false, cause: readable(error) }, deps.now());
    throw error;
  }
  await deps.health.report('exchange', { ok: true }, deps.now());
  const { integrated, removed, joined } = await deps.syncDirectory();

  for (const user of removed) await forget(deps, user);

  const reason: CalendarSyncMessage['reason'] = parsed.data.reason === 'force' ? 'force' : 'scan';
  const joinedIds = new Set(joined.map((user) => user.id));
  // Addresses not resolved yet, all at once (Graph: a few pages of the directory, not a lookup each).
  const resolved = await resolveMailboxes(
    deps,
    integrated.flatMap((user) => mailboxOf(user) ?? []),
  );
  const mailboxes = [...resolved.values()].flatMap((mailbox) =>
    mailbox === null ? [] : [{ ...mailbox, ...(joinedIds.has(mailbox.userId) ? { joined: true } : {}) }],
  );
  // Before the jobs: each mailbox is then read on its side at once (a hybrid organization's
  // weekly re-check of every route; the other sources have nothing to check).
  await checkInBatches(deps.calendarSource, mailboxes);
  // One listing instead of a read per user in the jobs.
  const subscriptions = new Map((await deps.subscriptions.list()).map((s) => [s.userId, s]));
  await Promise.all(
    chunk(mailboxes, USERS_PER_JOB).map((batch) =>
      deps.queues.send(QUEUES.calendarSync, {
        userIds: batch.map((mailbox) => mailbox.userId),
        reason,
        outOfOfficeOnly: false,
        mailboxes: batch,
        subscriptions: batch.flatMap(({ userId }) => subscriptions.get(userId) ?? []),
      } satisfies CalendarSyncMessage),
    ),
  );
}

/** A user left the integration: Exchange stops notifying us, and their calendar is no longer kept. */
async function forget(deps: ScanDeps, user: UserRecord): Promise<void> {
  const subscription = await deps.subscriptions.getByUser(user.id);
  if (subscription !== null) {
    try {
      await deps.calendarSource.unsubscribe(subscription);
    } catch (error) {
      // The subscription expires by itself within 7 days, and its notices are for an unknown user then.
      await deps.log.write(`Could not unsubscribe ${user.email ?? user.id}: ${readable(error)}`, 'warning');
    }
    await deps.subscriptions.delete(subscription);
  }
  await deps.calendars.delete(user.id);
  await deps.log.write(`Stopped following the calendar of ${user.email ?? user.name}`);
}

function readable(error: unknown): string {
  return error instanceof AppError ? error.message : 'unexpected error';
}
