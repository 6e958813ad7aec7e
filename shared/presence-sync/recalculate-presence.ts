import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { PhonelinkClient, PushOutcome } from '../phonelink/phonelink-client.ts';
import type { PhonelinkHealth } from '../phonelink/phonelink-health.ts';
import { decidePresence, forgetPush, type Push, wakeUpArrival } from '../presence/decide-presence.ts';
import type { Instant, Policy } from '../presence/model.ts';
import { MAX_DELAY_SECONDS, type PresenceMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import type {
  CalendarStore,
  PresenceRecord,
  PresenceStore,
  StoredCalendar,
  UserStore,
} from '../storage/stores.ts';
import { getTelemetry, type Telemetry } from '../telemetry/telemetry.ts';
import { freshPresenceRecord } from './presence-input.ts';
import { retryDelaySeconds } from './retry-policy.ts';
import { delaySecondsUntil, singleWakeUps, type WakeUps } from './wake-ups.ts';

export interface RecalculatePresenceDeps {
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly presence: PresenceStore;
  readonly phonelink: PhonelinkClient;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  readonly health: PhonelinkHealth;
  readonly policy: Policy;
  /** The "Activate" box as it is now: while off, nothing is pushed or scheduled (activating rescans everyone). */
  readonly integrationEnabled: () => boolean | Promise<boolean>;
  readonly now: () => Instant;
  /** Waits out a wake-up that became visible up to a second before its instant. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where pushes are counted; by default the process's (a no-op without a connection string). */
  readonly telemetry?: Telemetry;
  /** How wake-ups are queued; by default one message per user. */
  readonly wakeUps?: WakeUps;
}

export type RecalculateOutcome =
  | 'pushed'
  | 'unchanged'
  | 'superseded'
  | 'stale-wake-up'
  | 'rescheduled-early-wake-up'
  | 'not-managed'
  | 'integration-off'
  | 'no-calendar-yet'
  | 'gone'
  | 'retry-scheduled';

/**
 * What the caller has just read and stored itself (the calendar-sync job): the user is
 * integrated under this name and this is their stored calendar, so the first round reads only
 * the presence record. Later rounds (after a race) read everything again.
 */
export interface KnownInputs {
  readonly userName: string;
  readonly calendar: StoredCalendar;
  /**
   * The caller has just created the user's first calendar record, so no presence record is
   * expected: the first round writes one without reading (if one exists after all, that write
   * fails and the next round reads it).
   */
  readonly presenceAbsent?: boolean;
}

export interface RecalculateOptions {
  /** What the caller has just stored (first round only). */
  readonly known?: KnownInputs;
  /**
   * A push reserved since this instant may not have reached PHONE-LiNK: the message is delivered
   * again (its first run stopped, perhaps between reserving and pushing). Such a body is pushed
   * again, with a new sequence; one reserved before was made by a run that completed.
   */
  readonly unconfirmedSince?: Instant;
}

/** A wake-up this early is waited out in-process; an earlier one puts itself back on the queue. */
const MAX_IN_PROCESS_WAIT_MS = 2_000;
/** Optimistic-concurrency rounds before giving up (the queue then retries the message). */
const MAX_ROUNDS = 8;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The presence worker (SPEC §2 "queue: presence"): reads one user's record and calendar, lets
 * decidePresence (shared/presence/decide-presence.ts) say what to push, store and wake for, and
 * performs it: the wake-up first, then the reservation (so a sequence is never reused, also
 * across restarts), then the push. Idempotent: running a message twice, or out of order, ends
 * in the same state.
 */
export async function recalculatePresence(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  options: RecalculateOptions = {},
): Promise<RecalculateOutcome> {
  if (message.reason === 'transition' && message.wakeAt !== null) {
    const record = await deps.presence.get(message.userId);
    const arrival = wakeUpArrival(message.wakeAt, record?.wakeAt ?? null, deps.now(), MAX_IN_PROCESS_WAIT_MS);
    if (arrival.kind === 'stale') return 'stale-wake-up';
    if (arrival.kind === 'too-early') {
      await deps.queues.send(QUEUES.presence, message, delaySecondsUntil(message.wakeAt, deps.now()));
      return 'rescheduled-early-wake-up';
    }
    if (arrival.waitMs > 0) await (deps.sleep ?? defaultSleep)(arrival.waitMs);
  }
  return recalculate(deps, message, options);
}

/**
 * As recalculatePresence, but a recalculation that fails (storage, a bug) is not left to the
 * queue's few quick redeliveries and its poison queue: it is logged and tried again later with
 * the back-off of an unreachable PHONE-LiNK, so no update waits for the next appointment. Only
 * when even the retry cannot be queued does the error reach the queue.
 */
export async function recalculateOrRetry(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  options: RecalculateOptions = {},
): Promise<RecalculateOutcome> {
  const startedAt = deps.now();
  try {
    return await recalculatePresence(deps, message, options);
  } catch (error) {
    const delay = retryDelaySeconds(
      message.attempt,
      error instanceof AppError ? error.retryAfterSeconds : undefined,
      'unreachable',
    );
    // It may have reserved a push it never made.
    const since = earliest(earliest(options.unconfirmedSince, message.unconfirmedSince), startedAt);
    await deps.queues.send(QUEUES.presence, { ...retryMessage(message), unconfirmedSince: since }, delay);
    (deps.telemetry ?? getTelemetry()).updateRetried('recalculation-failed');
    await deps.log
      .write(
        `Presence recalculation of user ${message.userId} failed (try ${message.attempt + 1}): ${
          error instanceof AppError ? error.message : 'internal error'
        }; retried in ${delay} s`,
        'error',
      )
      .catch(() => undefined);
    return 'retry-scheduled';
  }
}

/** What calendar sync hands on after storing a user's read: see KnownInputs and RecalculateOptions. */
export interface SyncHandOver {
  readonly userId: string;
  readonly known: KnownInputs;
  /** When the change notice behind the read arrived. */
  readonly notifiedAt?: Instant | undefined;
  readonly unconfirmedSince?: Instant | undefined;
}

/** Calendar sync's recalculation of a user whose read it has just stored. */
export function recalculateAfterSync(
  deps: RecalculatePresenceDeps,
  handOver: SyncHandOver,
): Promise<RecalculateOutcome> {
  const { userId, known, notifiedAt, unconfirmedSince } = handOver;
  return recalculatePresence(
    deps,
    {
      userId,
      reason: 'calendar-changed',
      wakeAt: null,
      attempt: 0,
      ...(notifiedAt === undefined ? {} : { notifiedAt }),
    },
    unconfirmedSince === undefined ? { known } : { known, unconfirmedSince },
  );
}

async function recalculate(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  options: RecalculateOptions,
): Promise<RecalculateOutcome> {
  const { userId } = message;
  const unconfirmedSince = earliest(options.unconfirmedSince, message.unconfirmedSince);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const given = round === 0 ? options.known : undefined;
    const assumed = given?.presenceAbsent === true;
    // "Activate" is read with the rest, each round: as fresh as the admin API's, at no extra wait.
    const [user, calendar, stored, enabled] = await Promise.all([
      given === undefined ? deps.users.get(userId) : { integrated: true, name: given.userName },
      given === undefined ? deps.calendars.get(userId) : given.calendar,
      assumed ? null : deps.presence.get(userId),
      deps.integrationEnabled(),
    ]);
    const record = stored ?? freshPresenceRecord(userId);
    const standing =
      user === null || !user.integrated ? 'not-managed' : enabled ? 'managed' : 'integration-off';
    const decision = decidePresence({
      standing,
      record,
      calendar,
      notifiedAt: message.notifiedAt,
      unconfirmedSince,
      policy: deps.policy,
      now: deps.now(),
      longestWaitMs: MAX_DELAY_SECONDS * 1000,
    });

    if (decision.kind === 'idle') {
      // An assumed record proves nothing: read the real one.
      if (assumed) continue;
      if (decision.store === null || record.etag === null) return decision.standing;
      if (await deps.presence.save(decision.store)) return decision.standing;
      continue;
    }
    if (decision.kind === 'no-calendar-yet') return 'no-calendar-yet';
    if (decision.wakeUp !== null) {
      await (deps.wakeUps ?? singleWakeUps(deps.queues, deps.now)).schedule(userId, decision.wakeUp);
    }
    if (decision.store === null) return 'unchanged';
    const etag = await deps.presence.saveForEtag(decision.store);
    if (etag === null) continue;
    if (decision.push === null) return 'unchanged';
    return push(deps, message, decision.push, user?.name ?? userId, record, { ...decision.store, etag });
  }
  throw new AppError('storage.conflict', `presence of user ${userId} kept changing under the recalculation`);
}

async function push(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  { body, sequence }: Push,
  userName: string,
  before: PresenceRecord,
  reserved: PresenceRecord,
): Promise<RecalculateOutcome> {
  const { userId } = message;
  const telemetry = deps.telemetry ?? getTelemetry();
  let outcome: PushOutcome;
  try {
    outcome = await deps.phonelink.putPresence(userId, body, sequence);
  } catch (error) {
    // Whatever went wrong (an outage, the key, an answer we cannot name), the update is kept and
    // retried with back-off: none may wait for the next appointment.
    const unauthorized = error instanceof AppError && error.code === 'phonelink.unauthorized';
    const cause = unauthorized ? 'unauthorized' : 'unreachable';
    telemetry.pushed(unauthorized ? 'unauthorized' : 'retry');
    await deps.health.report(cause, describeFailure(error), deps.now());
    // The call may have reached PHONE-LiNK before failing: what it shows is unknown until a push succeeds.
    await updateRecord(deps, userId, (r) => forgetPush(r, sequence), reserved);
    const retryAfter = error instanceof AppError ? error.retryAfterSeconds : undefined;
    await deps.queues.send(
      QUEUES.presence,
      retryMessage(message),
      retryDelaySeconds(message.attempt, retryAfter, cause),
    );
    telemetry.updateRetried(unauthorized ? 'phonelink-unauthorized' : 'phonelink-unreachable');
    return 'retry-scheduled';
  }

  const at = deps.now();
  await deps.health.report('online', null, at);
  telemetry.pushed(outcome.kind === 'gone' ? 'user-gone' : outcome.kind);
  if (outcome.kind === 'gone') {
    const user = await deps.users.get(userId);
    if (user !== null) {
      await deps.users.put({
        ...user,
        integrated: false,
        skipReason: 'PHONE-LiNK no longer knows this user (404)',
        updatedAt: at,
      });
    }
    await updateRecord(deps, userId, (r) => ({ ...r, wakeAt: null }), reserved);
    await deps.log.write(
      `Stopped managing user ${userName} (${userId}): PHONE-LiNK answered that the user no longer exists`,
      'warning',
    );
    return 'gone';
  }
  if (outcome.kind === 'superseded') {
    await deps.log.write(
      `PHONE-LiNK already had a newer presence update of user ${userName} (${userId}); sequence ${sequence} superseded`,
    );
    return 'superseded';
  }
  // Only a notice not yet shown by the previous push caused this one.
  const notifiedAt = reserved.lastNotificationAt;
  if (
    message.reason === 'calendar-changed' &&
    notifiedAt !== null &&
    (before.lastPushedAt === null || notifiedAt > before.lastPushedAt)
  ) {
    telemetry.notificationToPush(at - notifiedAt);
  }
  return 'pushed';
}

/**
 * Read-modify-write with the etag; `change` returns null when nothing is to be written. The
 * first round starts from `known` (what this worker last wrote) without a read: if anyone wrote
 * since, its etag no longer matches and the next round reads.
 */
async function updateRecord(
  deps: RecalculatePresenceDeps,
  userId: string,
  change: (record: PresenceRecord) => PresenceRecord | null,
  known?: PresenceRecord,
): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const record = round === 0 && known?.etag ? known : await deps.presence.get(userId);
    if (record === null) return;
    const next = change(record);
    if (next === null || (await deps.presence.save(next))) return;
  }
  throw new AppError('storage.conflict', `presence of user ${userId} kept changing`);
}

function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The next try of a recalculation that failed: recomputed from what is stored then. */
export function retryMessage(message: PresenceMessage): Partial<PresenceMessage> {
  return { userId: message.userId, reason: 'retry', attempt: message.attempt + 1 };
}

function describeFailure(error: unknown): string {
  return error instanceof AppError ? error.message : 'PHONE-LiNK push failed (internal error)';
}
