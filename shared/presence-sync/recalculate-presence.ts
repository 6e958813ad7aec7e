import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { PhonelinkClient, PushOutcome } from '../phonelink/phonelink-client.ts';
import type { PhonelinkHealth } from '../phonelink/phonelink-health.ts';
import { sameBody, toPresenceBody } from '../phonelink/presence-body.ts';
import { stateAt } from '../presence/evaluate.ts';
import type { Instant, Policy } from '../presence/model.ts';
import { prepareCalendar } from '../presence/prepare.ts';
import { type PresenceMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import type {
  CalendarStore,
  PresenceBody,
  PresenceRecord,
  PresenceStore,
  StoredCalendar,
  UserStore,
} from '../storage/stores.ts';
import { getTelemetry, type Telemetry } from '../telemetry/telemetry.ts';
import { freshPresenceRecord, nextSequence, presenceInputOf } from './presence-input.ts';
import { MAX_DELAY_SECONDS, retryDelaySeconds } from './retry-policy.ts';
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
 * The presence worker (SPEC §2 "queue: presence"): recompute one user's state now, push it to
 * PHONE-LiNK only when the body changed, with a sequence reserved in the presence record before
 * the call (so it is never reused, also across restarts), and keep exactly one wake-up on the
 * queue for the next transition: the record holds its instant, and a wake-up for another instant
 * that is not yet due is stale and dropped. Idempotent: running a message twice, or out of order, ends in the same state.
 */
export async function recalculatePresence(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  options: RecalculateOptions = {},
): Promise<RecalculateOutcome> {
  const { userId } = message;

  if (message.reason === 'transition' && message.wakeAt !== null) {
    const record = await deps.presence.get(userId);
    const early = message.wakeAt - deps.now();
    if (record?.wakeAt !== message.wakeAt) {
      // Not yet due and superseded by a later schedule: nothing happens at its instant. A due
      // one is recomputed all the same: its first run may have died between reserving and pushing.
      if (early > 0) return 'stale-wake-up';
      return recalculate(deps, message, options);
    }
    if (early > MAX_IN_PROCESS_WAIT_MS) {
      await deps.queues.send(QUEUES.presence, message, delaySecondsUntil(message.wakeAt, deps.now()));
      return 'rescheduled-early-wake-up';
    }
    // A push never arrives before the instant it is for.
    if (early > 0) await (deps.sleep ?? defaultSleep)(early);
  }
  return recalculate(deps, message, options);
}

async function recalculate(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  options: RecalculateOptions,
): Promise<RecalculateOutcome> {
  const { userId } = message;
  const since = earliest(options.unconfirmedSince, message.unconfirmedSince);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const given = round === 0 ? options.known : undefined;
    const assumed = given?.presenceAbsent === true;
    const [user, calendar, stored] = await Promise.all([
      given === undefined ? deps.users.get(userId) : { integrated: true, name: given.userName },
      given === undefined ? deps.calendars.get(userId) : given.calendar,
      assumed ? null : deps.presence.get(userId),
    ]);
    const record = stored ?? freshPresenceRecord(userId);
    const now = deps.now();

    if (user === null || !user.integrated || !(await deps.integrationEnabled())) {
      const idle = user?.integrated ? 'integration-off' : 'not-managed';
      // An assumed record proves nothing: read the real one.
      if (assumed) continue;
      // No wake-up stays on record, so the next recalculation schedules one afresh.
      if (record.wakeAt === null || record.etag === null) return idle;
      if (await deps.presence.save({ ...record, wakeAt: null })) return idle;
      continue;
    }
    // Until the first calendar read there is nothing to show, unless the user chose something.
    if (calendar === null && record.override === null) return 'no-calendar-yet';

    let override = record.override;
    let prepared = prepareCalendar(presenceInputOf(calendar, override, deps.policy));
    const overrideEnd = prepared.overrideWindow?.end ?? null;
    if (override !== null && overrideEnd !== null && now >= overrideEnd) {
      // Once the calendar has taken over, a later calendar change must not revive the override.
      override = null;
      prepared = prepareCalendar(presenceInputOf(calendar, null, deps.policy));
    }
    const state = stateAt(prepared, now);
    const body = toPresenceBody(state);
    const wakeAt = nextWakeAt(state.until, now);
    const unconfirmed = since !== undefined && record.lastPushedAt !== null && record.lastPushedAt >= since;
    const mustPush = unconfirmed || !sameBody(record.lastPushed, body);
    const sequence = mustPush ? nextSequence(record.sequence, now) : record.sequence;

    if (wakeAt !== record.wakeAt && wakeAt !== null) {
      // Sent before the record names it: a crash in between leaves a duplicate, never a gap.
      await (deps.wakeUps ?? singleWakeUps(deps.queues, deps.now)).schedule(userId, wakeAt);
    }
    // Administrators read when the last change notice arrived ("why is my status wrong?"), so a
    // newer notice is worth its one write even when nothing else changed.
    const lastNotificationAt = latest(record.lastNotificationAt, message.notifiedAt);
    // A reservation records the body as pushed: a push that fails clears it again, and one that
    // never happened (the process stopped) is redone when its message comes back (`unconfirmedSince`).
    // So a successful push costs no second write.
    const updated: PresenceRecord = {
      ...record,
      override,
      wakeAt,
      sequence,
      lastNotificationAt,
      ...(mustPush ? { lastPushed: body, lastPushedAt: now } : {}),
    };
    if (!mustPush && sameRecord(updated, record)) return 'unchanged';
    const etag = await deps.presence.saveForEtag(updated);
    if (etag === null) continue;
    if (!mustPush) return 'unchanged';

    return push(deps, message, body, sequence, user.name, record, { ...updated, etag });
  }
  throw new AppError('storage.conflict', `presence of user ${userId} kept changing under the recalculation`);
}

async function push(
  deps: RecalculatePresenceDeps,
  message: PresenceMessage,
  body: PresenceBody,
  sequence: number,
  userName: string,
  before: PresenceRecord,
  reserved: PresenceRecord,
): Promise<RecalculateOutcome> {
  const { userId } = message;
  const telemetry = deps.telemetry ?? getTelemetry();
  let outcome: PushOutcome;
  // The call may have reached PHONE-LiNK before failing: what it shows is unknown until a push succeeds.
  const unknownPush = () =>
    updateRecord(
      deps,
      userId,
      (r) => (r.sequence === sequence ? { ...r, lastPushed: null } : null),
      reserved,
    );
  try {
    outcome = await deps.phonelink.putPresence(userId, body, sequence);
  } catch (error) {
    if (
      !(error instanceof AppError) ||
      (error.code !== 'phonelink.unreachable' && error.code !== 'phonelink.unauthorized')
    ) {
      // An answer we cannot name is a bug on one side: the queue retries, then poisons.
      await unknownPush().catch(() => undefined);
      throw error;
    }
    const unauthorized = error.code === 'phonelink.unauthorized';
    telemetry.pushed(unauthorized ? 'unauthorized' : 'retry');
    await deps.health.report(unauthorized ? 'unauthorized' : 'unreachable', error.message, deps.now());
    await unknownPush();
    const delay = retryDelaySeconds(
      message.attempt,
      error.retryAfterSeconds,
      unauthorized ? 'unauthorized' : 'unreachable',
    );
    await deps.queues.send(QUEUES.presence, { userId, reason: 'retry', attempt: message.attempt + 1 }, delay);
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

/** The next wake-up: the next transition, or a re-check within the queue's 7-day delay limit. */
function nextWakeAt(until: Instant | null, now: Instant): Instant | null {
  if (until === null) return null;
  return Math.min(until, now + MAX_DELAY_SECONDS * 1000);
}

function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function latest(known: Instant | null, notifiedAt: Instant | undefined): Instant | null {
  if (notifiedAt === undefined) return known;
  return known === null ? notifiedAt : Math.max(known, notifiedAt);
}

function sameRecord(a: PresenceRecord, b: PresenceRecord): boolean {
  return (
    a.wakeAt === b.wakeAt &&
    a.sequence === b.sequence &&
    a.override === b.override &&
    a.lastNotificationAt === b.lastNotificationAt
  );
}
