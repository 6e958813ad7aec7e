import type { AppError } from '../errors.ts';
import type { Instant } from '../presence/model.ts';
import type { SyncHandOver } from '../presence-sync/recalculate-presence.ts';
import type { CalendarSyncMessage, PresenceGroupMessage } from '../queues/messages.ts';
import type { StoreOutcome, UserState } from './mailbox-read-plan.ts';
import { calendarIsStale, subscriptionNeedsRenewal } from './sync-policy.ts';

/**
 * The calendar-sync job's decisions (SPEC §2 "queue: calendar sync"), apart from its I/O: what
 * to load, which users to read and subscribe, and afterwards whose presence to recalculate here,
 * whose to hand to the presence queue and whose read to try again. calendar-sync.ts performs them.
 */

/** Reasons an administrator expects to see in the log line by line (SPEC §6); the hourly refresh stays quiet. */
const LOGGED_REASONS: ReadonlySet<CalendarSyncMessage['reason']> = new Set(['scan', 'force', 'resync']);

export interface LoadPlan {
  /** A full read replaces everything and always asks for a recalculation: what was stored before does not matter. */
  readonly fullRead: boolean;
  /** Read what is stored of each user (to skip reads a notice does not need, and to compare). */
  readonly withStored: boolean;
  /** A notice means the subscription works: renewing is left to the hourly refresh and lifecycle notices. */
  readonly withSubscription: boolean;
}

export function planLoad(message: CalendarSyncMessage): LoadPlan {
  const fullRead = LOGGED_REASONS.has(message.reason);
  return { fullRead, withStored: !fullRead, withSubscription: message.reason !== 'notification' };
}

export interface ReadPlan {
  readonly readCalendar: readonly UserState[];
  readonly readOutOfOffice: readonly UserState[];
  readonly subscribe: readonly UserState[];
  /** For a full read: what the administrator reads in the log before the reads. */
  readonly logLines: readonly string[];
}

/**
 * Whether a job must read a user whose stored calendar read began at `calendarReadAt`, for the
 * notices that had all arrived by `notifiedAt` (absent: a job no notice caused, which always
 * reads). A read that began at or after the notices holds their changes: notices for one user
 * close together cost one read, since the jobs of a process take turns per user.
 */
export function readStillNeeded(calendarReadAt: Instant | null, notifiedAt: Instant | undefined): boolean {
  return notifiedAt === undefined || calendarReadAt === null || calendarReadAt < notifiedAt;
}

export function planReads(
  message: CalendarSyncMessage,
  users: readonly UserState[],
  now: Instant,
  scanWindowDays: number,
  /** Where each user's mailbox is read (a hybrid organization's side), shown on the subscribing line. */
  places: ReadonlyMap<string, string> = new Map(),
): ReadPlan {
  const { fullRead, withSubscription } = planLoad(message);
  const readCalendar = users.filter(({ stored }) => {
    if (message.outOfOfficeOnly) return calendarIsStale(stored, now, scanWindowDays);
    return readStillNeeded(stored?.calendarReadAt ?? null, message.coveredUntil ?? message.notifiedAt);
  });
  const readOutOfOffice = message.reason === 'notification' ? users.filter((u) => u.stored === null) : users;
  const subscribe = !withSubscription
    ? []
    : fullRead
      ? users
      : users.filter((u) => subscriptionNeedsRenewal(u.subscription, now));
  const logLines = fullRead
    ? [
        ...subscribe.map(({ mailbox }) => {
          const place = places.get(mailbox.userId);
          return `Subscribing to availability of user: ${mailbox.email}${place === undefined ? '' : ` (${place})`}`;
        }),
        `Getting out-of-office settings for: ${readOutOfOffice.length} users`,
        ...readOutOfOffice.map(({ mailbox }) => `Getting out-of-office settings for: ${mailbox.email}`),
      ]
    : [];
  return { readCalendar, readOutOfOffice, subscribe, logLines };
}

export interface FollowUpPlan {
  /** Users whose presence the job recalculates itself, from what it has just stored. */
  readonly recalculateHere: readonly SyncHandOver[];
  /** Users whose presence the presence queue recalculates (the job does not hold all they depend on). */
  readonly queue: readonly string[];
  /** Users whose read Exchange throttled or did not answer, and why: read again later. */
  readonly readAgain: { readonly userIds: readonly string[]; readonly cause: AppError } | null;
}

export function planFollowUps(
  message: CalendarSyncMessage,
  users: readonly UserState[],
  outcomes: readonly StoreOutcome[],
  options: {
    /** The job can recalculate here (else every changed user goes to the queue). */
    readonly recalculatesHere: boolean;
    /** Set when the message is delivered again: see RecalculateOptions.unconfirmedSince. */
    readonly unconfirmedSince: Instant | undefined;
  },
): FollowUpPlan {
  const { unconfirmedSince } = options;
  const recalculateHere: SyncHandOver[] = [];
  const queue: string[] = [];
  const again: string[] = [];
  let cause: AppError | null = null;
  for (const [i, user] of users.entries()) {
    const outcome = outcomes[i];
    if (outcome === undefined) continue;
    const { userId } = user.mailbox;
    if (outcome.transient !== null) {
      again.push(userId);
      cause ??= outcome.transient;
    }
    // Delivered again: an earlier run may have stopped mid-push, so everyone is recalculated.
    if (!outcome.changed && unconfirmedSince === undefined) continue;
    if (!options.recalculatesHere || outcome.calendar === null) {
      queue.push(userId);
      continue;
    }
    recalculateHere.push({
      userId,
      known: { userName: user.name, calendar: outcome.calendar, presenceAbsent: outcome.created },
      notifiedAt: message.notifiedAt,
      unconfirmedSince,
    });
  }
  return { recalculateHere, queue, readAgain: cause === null ? null : { userIds: again, cause } };
}

/**
 * One presence message for the job's users left to the queue (at most 20, as the job), or null
 * when there are none. `unconfirmedSince` is set when a recalculation here failed (it may have
 * reserved a push it never made) or the job itself was delivered again.
 */
export function queuedRecalculation(
  message: CalendarSyncMessage,
  userIds: readonly string[],
  options: { readonly failedHere: boolean; readonly startedAt: Instant; readonly unconfirmedSince?: Instant },
): PresenceGroupMessage | null {
  if (userIds.length === 0) return null;
  const { failedHere, startedAt, unconfirmedSince } = options;
  return {
    userIds: [...userIds],
    reason: 'calendar-changed',
    // The presence worker records when the notice arrived (admin page, notice-to-push lag).
    ...(message.notifiedAt === undefined ? {} : { notifiedAt: message.notifiedAt }),
    ...(failedHere || unconfirmedSince !== undefined
      ? { unconfirmedSince: Math.min(startedAt, unconfirmedSince ?? startedAt) }
      : {}),
  };
}
