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
import type { KnownInputs } from '../presence-sync/recalculate-presence.ts';
import {
  type CalendarSyncMessage,
  calendarSyncMessage,
  type PresenceGroupMessage,
  QUEUES,
  type WorkQueues,
} from '../queues/messages.ts';
import type { CalendarStore, HealthStore, SubscriptionStore, UserStore } from '../storage/stores.ts';
import { readAgainLater } from './calendar-sync-retry.ts';
import { resolveMailboxes } from './resolve-mailboxes.ts';
import { isTransient, type StoreOutcome, storeUser, type UserState } from './store-mailbox-read.ts';
import { calendarIsStale, subscriptionNeedsRenewal, syncWindow } from './sync-policy.ts';
import { mailboxOf } from './user-mailbox.ts';

export interface CalendarSyncDeps {
  readonly calendarSource: CalendarSource;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly subscriptions: SubscriptionStore;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  readonly health?: HealthStore;
  readonly scanWindowDays: number;
  readonly now: () => Instant;
  /**
   * Recalculates one user's presence from what this job has just stored (the presence worker's
   * use case, run here so it need not read the user and calendar again). Absent: the job asks
   * the presence queue instead. A failure sends that user to the presence queue.
   */
  readonly recalculate?: (
    userId: string,
    known: KnownInputs,
    notifiedAt: Instant | undefined,
    unconfirmedSince: Instant | undefined,
  ) => Promise<unknown>;
}

/** Reasons an administrator expects to see in the log line by line (SPEC §6); the hourly refresh stays quiet. */
const LOGGED_REASONS: ReadonlySet<CalendarSyncMessage['reason']> = new Set(['scan', 'force', 'resync']);

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
  const now = deps.now();
  const fullRead = LOGGED_REASONS.has(message.reason);
  // A full read replaces everything and always asks for a recalculation: what was stored before does not matter.
  // A notice means the subscription works: renewing is left to the hourly refresh and lifecycle notices.
  const manageSubscription = message.reason !== 'notification';
  const loaded = await loadUsers(deps, message, {
    withStored: !fullRead,
    withSubscription: manageSubscription,
  });
  const resolved = await resolveMailboxes(
    deps,
    loaded.map((user) => user.mailbox),
  );
  const users = loaded.flatMap((user) => {
    const mailbox = resolved.get(user.mailbox.userId);
    return mailbox == null ? [] : [{ ...user, mailbox }];
  });
  if (users.length === 0) return;

  const readCalendar = users.filter(({ stored }) => {
    if (message.outOfOfficeOnly) return calendarIsStale(stored, now, deps.scanWindowDays);
    // A read that began after the notice arrived already holds the change.
    if (message.notifiedAt !== undefined && stored?.calendarReadAt != null) {
      return stored.calendarReadAt < message.notifiedAt;
    }
    return true;
  });
  const readOutOfOffice = message.reason === 'notification' ? users.filter((u) => u.stored === null) : users;
  const subscribe = !manageSubscription
    ? []
    : fullRead
      ? users
      : users.filter((u) => subscriptionNeedsRenewal(u.subscription, now));

  if (fullRead) {
    await writeLines(deps.log, [
      ...subscribe.map(({ mailbox }) => `Subscribing to availability of user: ${mailbox.email}`),
      `Getting out-of-office settings for: ${readOutOfOffice.length} users`,
      ...readOutOfOffice.map(({ mailbox }) => `Getting out-of-office settings for: ${mailbox.email}`),
    ]);
  }

  const source = deps.calendarSource;
  // Subscribe and store the subscriptions before reading the calendars: a change between the
  // two is then either in the read or notified to a subscription we already know. (Graph may
  // notify a new subscription at once; a notice for an id not stored yet is ignored.)
  const [subscriptions, outOfOffice] = await Promise.all([
    subscribe.length > 0
      ? source.subscribe(subscribe.map((u) => ({ mailbox: u.mailbox, existing: u.subscription })))
      : new Map<string, Result<CalendarSubscription>>(),
    readOutOfOffice.length > 0
      ? source.readOutOfOffice(readOutOfOffice.map((u) => u.mailbox))
      : new Map<string, Result<MailboxOutOfOffice>>(),
  ]);
  // putAll() also drops the record of a subscription this one replaces (read above or listed by the scan).
  await deps.subscriptions.putAll(
    subscribe.flatMap(({ mailbox, subscription: previous }) => {
      const result = subscriptions.get(mailbox.userId);
      return result?.ok === true ? [{ subscription: result.value, previous }] : [];
    }),
  );
  const calendars =
    readCalendar.length > 0
      ? await source.readCalendars(
          readCalendar.map((u) => u.mailbox),
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
  await recalculateChanged(deps, message, users, outcomes, now, unconfirmedSince);
  await reportHealth(deps, now, failures);
  const again = users.filter((_, i) => outcomes[i]?.transient != null);
  const cause = outcomes.find((outcome) => outcome.transient !== null)?.transient;
  if (cause != null)
    await readAgainLater(
      deps,
      message,
      again.map((user) => user.mailbox.userId),
      cause,
    );
}

/**
 * Presence of the users whose inputs changed: here when the job holds everything they depend
 * on, else (and when that fails) through one presence message for the rest.
 */
async function recalculateChanged(
  deps: CalendarSyncDeps,
  message: CalendarSyncMessage,
  users: readonly UserState[],
  outcomes: readonly StoreOutcome[],
  startedAt: Instant,
  unconfirmedSince: Instant | undefined,
): Promise<void> {
  const { recalculate } = deps;
  let failed = false;
  const queued = await Promise.all(
    users.map(async (user, i): Promise<string[]> => {
      const outcome = outcomes[i];
      // Delivered again: an earlier run may have stopped mid-push, so everyone is recalculated.
      if (outcome === undefined || !(outcome.changed || unconfirmedSince !== undefined)) return [];
      if (recalculate === undefined || outcome.calendar === null) return [user.mailbox.userId];
      try {
        await recalculate(
          user.mailbox.userId,
          { userName: user.name, calendar: outcome.calendar, presenceAbsent: outcome.created },
          message.notifiedAt,
          unconfirmedSince,
        );
        return [];
      } catch {
        failed = true;
        return [user.mailbox.userId];
      }
    }),
  );
  const userIds = queued.flat();
  // One message for the job's users (at most 20, as the job).
  if (userIds.length > 0) {
    await deps.queues.send(QUEUES.presence, {
      userIds,
      reason: 'calendar-changed',
      // The presence worker records when the notice arrived (admin page, notice-to-push lag).
      ...(message.notifiedAt === undefined ? {} : { notifiedAt: message.notifiedAt }),
      // A failed recalculation may have reserved a push it never made.
      ...(failed || unconfirmedSince !== undefined
        ? { unconfirmedSince: Math.min(startedAt, unconfirmedSince ?? startedAt) }
        : {}),
    } satisfies PresenceGroupMessage);
  }
}

async function loadUsers(
  deps: CalendarSyncDeps,
  message: CalendarSyncMessage,
  options: { readonly withStored: boolean; readonly withSubscription: boolean },
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
  if (deps.health === undefined) return;
  const outage = failures.find((error) => isTransient(error) || error.code === 'exchange.unauthorized');
  await deps.health.report(
    'exchange',
    outage === undefined ? { ok: true } : { ok: false, cause: outage.message },
    now,
  );
}
