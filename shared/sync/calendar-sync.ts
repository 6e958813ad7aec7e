import type {
  CalendarSource,
  CalendarSubscription,
  Mailbox,
  MailboxCalendar,
  MailboxOutOfOffice,
} from '../calendar/calendar-source.ts';
import type { AppError, Result } from '../errors.ts';
import { type AdminLog, writeLines } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type { SyncHandOver } from '../presence-sync/recalculate-presence.ts';
import {
  type CalendarSyncMessage,
  calendarSyncMessage,
  QUEUES,
  type WorkQueues,
} from '../queues/messages.ts';
import type { CalendarStore, HealthStore, SubscriptionStore, UserStore } from '../storage/stores.ts';
import {
  type FollowUpPlan,
  type LoadPlan,
  planFollowUps,
  planLoad,
  planReads,
  queuedRecalculation,
} from './calendar-sync-plan.ts';
import { readAgainLater } from './calendar-sync-retry.ts';
import { keepProvenWatermarks } from './keep-ews-watermarks.ts';
import { isTransient, type UserState } from './mailbox-read-plan.ts';
import type { ReadTurns } from './read-turns.ts';
import { resolveMailboxes } from './resolve-mailboxes.ts';
import { storeUser } from './store-mailbox-read.ts';
import { syncWindow } from './sync-policy.ts';
import { mailboxOf } from './user-mailbox.ts';

export interface CalendarSyncDeps {
  readonly calendarSource: CalendarSource;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly subscriptions: SubscriptionStore;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  /** Where each job reports whether Exchange answered (GET /api/status). */
  readonly health: HealthStore;
  readonly scanWindowDays: number;
  readonly now: () => Instant;
  /** Jobs for the same user take turns in this process, and notice-driven reads are paced (read-turns.ts). */
  readonly turns: ReadTurns;
  /**
   * Recalculates one user's presence from what this job has just stored (the presence worker's
   * use case, run here so it need not read the user and calendar again). Absent: the job asks
   * the presence queue instead. A failure sends that user to the presence queue.
   */
  readonly recalculate?: (handOver: SyncHandOver) => Promise<unknown>;
}

/**
 * The calendar-sync job (SPEC §2): reads the window and out-of-office of up to 20 users from
 * Exchange, stores them, creates or renews their subscriptions, and asks for a presence
 * recalculation of each user whose data changed. A user whose calendar cannot be read keeps
 * what was known, with the error shown to administrators; when Exchange was throttling or
 * unreachable, a later job reads those users again (calendar-sync-retry.ts). A message delivered
 * again (its first run stopped before completing) pushes its users' presence even where it
 * looks pushed already.
 */
export async function runCalendarSync(
  deps: CalendarSyncDeps,
  input: unknown,
  /** Set when the message is delivered again: see RecalculateOptions.unconfirmedSince. */
  unconfirmedSince?: Instant,
): Promise<void> {
  const parsed = calendarSyncMessage.safeParse(input);
  if (!parsed.success) {
    await deps.log.write(
      `Ignored a malformed calendar-sync message: ${parsed.error.issues[0]?.message}`,
      'warning',
    );
    return;
  }
  const message = parsed.data;
  await deps.turns.run(message.userIds, message.reason === 'notification', () =>
    syncUsers(deps, message, unconfirmedSince),
  );
}

async function syncUsers(
  deps: CalendarSyncDeps,
  message: CalendarSyncMessage,
  unconfirmedSince: Instant | undefined,
): Promise<void> {
  const now = deps.now();
  const loaded = await loadUsers(deps, message, planLoad(message));
  // Graph keys users by id: addresses not resolved yet are looked up once (resolve-mailboxes.ts).
  const resolved = await resolveMailboxes(
    deps,
    loaded.map((user) => user.mailbox),
  );
  const users = loaded.flatMap((user) => {
    const mailbox = resolved.get(user.mailbox.userId);
    return mailbox == null ? [] : [{ ...user, mailbox }];
  });
  if (users.length === 0) return;
  const source = deps.calendarSource;
  const places =
    planLoad(message).fullRead && source.placesOf !== undefined
      ? await source.placesOf(users.map((u) => u.mailbox))
      : undefined;
  const reads = planReads(message, users, now, deps.scanWindowDays, places);
  deps.turns.began(
    reads.readCalendar.map((user) => user.mailbox.userId),
    now,
  );
  await writeLines(deps.log, reads.logLines);

  // Subscribe and store the subscriptions before reading the calendars: a change between the
  // two is then either in the read or notified to a subscription we already know. (Graph may
  // notify a new subscription at once; a notice for an id not stored yet is ignored.)
  const [subscriptions, outOfOffice] = await Promise.all([
    reads.subscribe.length > 0
      ? source.subscribe(reads.subscribe.map((u) => ({ mailbox: u.mailbox, existing: u.subscription })))
      : new Map<string, Result<CalendarSubscription>>(),
    reads.readOutOfOffice.length > 0
      ? source.readOutOfOffice(reads.readOutOfOffice.map((u) => u.mailbox))
      : new Map<string, Result<MailboxOutOfOffice>>(),
  ]);
  // putAll() also drops the record of a subscription this one replaces (read above or listed by the scan).
  await deps.subscriptions.putAll(
    reads.subscribe.flatMap(({ mailbox, subscription: previous }) => {
      const result = subscriptions.get(mailbox.userId);
      return result?.ok === true ? [{ subscription: result.value, previous }] : [];
    }),
  );
  const calendars =
    reads.readCalendar.length > 0
      ? await source.readCalendars(
          reads.readCalendar.map((u) => u.mailbox),
          syncWindow(now, deps.scanWindowDays),
        )
      : new Map<string, Result<MailboxCalendar>>();

  const failures: AppError[] = [];
  const outcomes = await Promise.all(
    users.map((user) =>
      storeUser(deps, user, {
        now,
        because: message.reason,
        calendar: calendars.get(user.mailbox.userId),
        outOfOffice: outOfOffice.get(user.mailbox.userId),
        subscription: subscriptions.get(user.mailbox.userId),
        failures,
      }),
    ),
  );
  await keepProvenWatermarks(deps.subscriptions, message, calendars);
  const plan = planFollowUps(message, users, outcomes, {
    recalculatesHere: deps.recalculate !== undefined,
    unconfirmedSince,
  });
  await recalculateChanged(deps, message, plan, now, unconfirmedSince);
  await reportHealth(deps, now, failures);
  if (plan.readAgain !== null)
    await readAgainLater(deps, message, plan.readAgain.userIds, plan.readAgain.cause);
}

/**
 * Presence of the users whose inputs changed: here when the job holds everything they depend
 * on, else (and when that fails) through one presence message for the rest.
 */
async function recalculateChanged(
  deps: CalendarSyncDeps,
  message: CalendarSyncMessage,
  plan: FollowUpPlan,
  startedAt: Instant,
  unconfirmedSince: Instant | undefined,
): Promise<void> {
  const { recalculate } = deps;
  let failedHere = false;
  const failed = await Promise.all(
    plan.recalculateHere.map(async (handOver): Promise<string[]> => {
      try {
        await recalculate?.(handOver);
        return [];
      } catch {
        failedHere = true;
        return [handOver.userId];
      }
    }),
  );
  const queued = queuedRecalculation(message, [...plan.queue, ...failed.flat()], {
    failedHere,
    startedAt,
    ...(unconfirmedSince === undefined ? {} : { unconfirmedSince }),
  });
  if (queued !== null) await deps.queues.send(QUEUES.presence, queued);
}

async function loadUsers(
  deps: CalendarSyncDeps,
  message: CalendarSyncMessage,
  options: LoadPlan,
): Promise<UserState[]> {
  const known = new Map(message.mailboxes?.map((mailbox) => [mailbox.userId, mailbox]));
  const listed =
    message.subscriptions === undefined
      ? null
      : new Map(message.subscriptions.map((subscription) => [subscription.userId, subscription]));
  const loaded = await Promise.all(
    [...new Set(message.userIds)].map(async (userId): Promise<UserState | null> => {
      const given = known.get(userId);
      const user =
        given === undefined ? await integratedUser(deps, userId) : { mailbox: given, name: given.email };
      if (user === null) return null;
      const [stored, subscription] = await Promise.all([
        options.withStored ? deps.calendars.get(userId) : null,
        !options.withSubscription
          ? null
          : listed !== null && given !== undefined
            ? (listed.get(userId) ?? null)
            : deps.subscriptions.getByUser(userId),
      ]);
      const { email, directoryId } = user.mailbox;
      return {
        mailbox: { userId, email, ...(directoryId === undefined ? {} : { directoryId }) },
        name: user.name,
        stored,
        subscription,
        joined: given?.joined === true,
      };
    }),
  );
  return loaded.filter((user) => user !== null);
}

async function integratedUser(
  deps: CalendarSyncDeps,
  userId: string,
): Promise<{ readonly mailbox: Mailbox; readonly name: string } | null> {
  const user = await deps.users.get(userId);
  const mailbox = user?.integrated === true ? mailboxOf(user) : null;
  return user === null || mailbox === null ? null : { mailbox, name: user.name };
}

async function reportHealth(
  deps: CalendarSyncDeps,
  now: Instant,
  failures: readonly AppError[],
): Promise<void> {
  const outage = failures.find((error) => isTransient(error) || error.code === 'exchange.unauthorized');
  await deps.health.report(
    'exchange',
    outage === undefined ? { ok: true } : { ok: false, cause: outage.message },
    now,
  );
}
