import { stateAt } from './evaluate.ts';
import type {
  Appointment,
  Instant,
  OutOfOffice,
  Override,
  Policy,
  PresenceInput,
  PresenceState,
} from './model.ts';
import { prepareCalendar } from './prepare.ts';
import type { PreparedCalendar } from './prepared-calendar.ts';
import { type PresenceBody, sameBody, toPresenceBody } from './presence-body.ts';
import { nextChangeAfter } from './transitions.ts';

/**
 * The presence worker's decision (SPEC §2 "queue: presence", §3, §4): from what is stored of
 * one user and the instant, what to push, what to store and when to wake. The worker reads,
 * hands the facts here and performs the answer; nothing here waits or writes.
 */

/** What the presence record remembers of a user between recalculations. */
export interface PresenceMemory {
  /**
   * The body PHONE-LiNK last accepted (or superseded with 409), or reserved for a push under
   * way; null when what it shows is unknown (a push failed).
   */
  readonly lastPushed: PresenceBody | null;
  readonly lastPushedAt: Instant | null;
  /** The last sequence used; the next push uses a higher one. */
  readonly sequence: number;
  readonly override: Override | null;
  /** The instant the one scheduled wake-up is for, so schedules do not pile up. */
  readonly wakeAt: Instant | null;
  /** When the last change notice arrived (administrators read it). */
  readonly lastNotificationAt: Instant | null;
}

/** What the engine needs of a stored calendar. */
export interface CalendarFacts {
  readonly appointments: readonly Appointment[];
  readonly outOfOffice: OutOfOffice;
  readonly timeZone: string;
}

/** Whether the service manages the user now. */
export type Standing = 'managed' | 'not-managed' | 'integration-off';

export interface PresenceFacts<R extends PresenceMemory> {
  readonly standing: Standing;
  readonly record: R;
  /** Null until the mailbox was read once. */
  readonly calendar: CalendarFacts | null;
  /** When the change notice behind this recalculation arrived. */
  readonly notifiedAt?: Instant | undefined;
  /**
   * A push reserved since this instant may not have reached PHONE-LiNK (its run stopped, or
   * failed after reserving): such a body is pushed again, with a new sequence.
   */
  readonly unconfirmedSince?: Instant | undefined;
  readonly policy: Policy;
  readonly now: Instant;
  /** How far ahead a wake-up can be scheduled at most (the queue's delay limit). */
  readonly longestWaitMs: number;
}

export interface Push {
  readonly body: PresenceBody;
  readonly sequence: number;
}

export type PresenceDecision<R extends PresenceMemory> =
  /** Not managed: nothing is pushed, and no wake-up stays on record (the next recalculation schedules afresh). */
  | { readonly kind: 'idle'; readonly standing: Exclude<Standing, 'managed'>; readonly store: R | null }
  /** Until the first calendar read there is nothing to show, unless the user chose something. */
  | { readonly kind: 'no-calendar-yet' }
  | {
      readonly kind: 'current';
      readonly state: PresenceState;
      /** The record to write (the reservation when `push` is set); null when it stays as it is. */
      readonly store: R | null;
      /** Made only after `store` is written, so a sequence is never used twice. */
      readonly push: Push | null;
      /** The instant of the next recalculation: the next transition, or a re-check within the queue's limit. */
      readonly wakeAt: Instant | null;
      /** A wake-up to queue before `store` is written (a crash in between leaves a duplicate, never a gap). */
      readonly wakeUp: Instant | null;
    };

export function decidePresence<R extends PresenceMemory>(facts: PresenceFacts<R>): PresenceDecision<R> {
  const { record, calendar, policy, now } = facts;
  if (facts.standing !== 'managed') {
    return {
      kind: 'idle',
      standing: facts.standing,
      store: record.wakeAt === null ? null : { ...record, wakeAt: null },
    };
  }
  if (calendar === null && record.override === null) return { kind: 'no-calendar-yet' };

  let override = record.override;
  let prepared = prepareCalendar(presenceInputOf(calendar, override, policy));
  if (overrideEnded(prepared, now)) {
    // Once the calendar has taken over, a later calendar change must not revive the override.
    override = null;
    prepared = prepareCalendar(presenceInputOf(calendar, null, policy));
  }
  const state = stateAt(prepared, now);
  const body = toPresenceBody(state);
  // The next change, not `until`: inside a stretch of meetings the note may change before it ends.
  const change = nextChangeAfter(prepared, now);
  const wakeAt = change === null ? null : Math.min(change, now + facts.longestWaitMs);
  const since = facts.unconfirmedSince;
  const unconfirmed = since !== undefined && record.lastPushedAt !== null && record.lastPushedAt >= since;
  const mustPush = unconfirmed || !sameBody(record.lastPushed, body);
  const sequence = mustPush ? nextSequence(record.sequence, now) : record.sequence;
  // Administrators read when the last change notice arrived ("why is my status wrong?"), so a
  // newer notice is worth its one write even when nothing else changed.
  const lastNotificationAt = latest(record.lastNotificationAt, facts.notifiedAt);
  // A reservation records the body as pushed: a push that fails forgets it again (forgetPush), and
  // one that never happened is redone when its message comes back (`unconfirmedSince`). So a
  // successful push costs no second write.
  const updated: R = {
    ...record,
    override,
    wakeAt,
    sequence,
    lastNotificationAt,
    ...(mustPush ? { lastPushed: body, lastPushedAt: now } : {}),
  };
  return {
    kind: 'current',
    state,
    store: !mustPush && sameMemory(updated, record) ? null : updated,
    push: mustPush ? { body, sequence } : null,
    wakeAt,
    wakeUp: wakeAt !== null && wakeAt !== record.wakeAt ? wakeAt : null,
  };
}

/** SPEC §3: the override held until the first presence-relevant event start after it was set. */
function overrideEnded(prepared: PreparedCalendar, now: Instant): boolean {
  const end = prepared.overrideWindow?.end ?? null;
  return end !== null && now >= end;
}

/** A wake-up this much overdue did not run: its message is lost (or poisoned). */
const MISSED_WAKE_UP_MS = 60_000;
/** Three times the longest back-off between tries of a push (retry-policy.ts: 5 minutes). */
const RETRYING_MS = 15 * 60_000;

/**
 * SPEC §4 "never lose the update", checked after the fact (the hourly maintenance): whether
 * what PHONE-LiNK was last sent differs from what the calendar says now (or is unknown after a
 * failed push), or the wake-up on record would miss the next transition.
 */
export function outOfStep<R extends PresenceMemory>(facts: PresenceFacts<R>): boolean {
  const decision = decidePresence(facts);
  if (decision.kind !== 'current') return false;
  const { record, now } = facts;
  // A wake-up due this very minute is being run: what it changes is not late yet.
  const wakingNow = record.wakeAt !== null && record.wakeAt <= now && now - record.wakeAt < MISSED_WAKE_UP_MS;
  if (wakingNow) return false;
  if (decision.push !== null) {
    // Each try of a failing push reserves it again: one reserved lately is still being retried.
    const retrying =
      record.lastPushed === null && record.lastPushedAt !== null && now - record.lastPushedAt < RETRYING_MS;
    return !retrying;
  }
  const recorded = record.wakeAt;
  const { wakeAt } = decision;
  if (wakeAt === null) return false;
  // A recorded wake-up earlier than needed only re-checks; a later or lost one misses a change.
  return recorded === null || recorded > wakeAt || recorded < now - MISSED_WAKE_UP_MS;
}

/**
 * A push failed after its reservation: PHONE-LiNK may or may not show the body, so the record
 * no longer claims it (the next recalculation pushes). Null when a later reservation took over.
 */
export function forgetPush<R extends PresenceMemory>(record: R, sequence: number): R | null {
  return record.sequence === sequence ? { ...record, lastPushed: null } : null;
}

/** What a wake-up message for `wakeAt` does when it arrives at `now`. */
export type WakeUpArrival =
  /** The record names another instant and this one is not due: nothing happens at it. */
  | { readonly kind: 'stale' }
  /** Visible too early to wait out: back on the queue. */
  | { readonly kind: 'too-early' }
  /** Recalculate after `waitMs` (0: now); a push never arrives before the instant it is for. */
  | { readonly kind: 'due'; readonly waitMs: number };

export function wakeUpArrival(
  wakeAt: Instant,
  recordedWakeAt: Instant | null,
  now: Instant,
  longestInProcessWaitMs: number,
): WakeUpArrival {
  const early = wakeAt - now;
  if (recordedWakeAt !== wakeAt) {
    // A due one is recomputed all the same: its first run may have died between reserving and pushing.
    return early > 0 ? { kind: 'stale' } : { kind: 'due', waitMs: 0 };
  }
  if (early > longestInProcessWaitMs) return { kind: 'too-early' };
  return { kind: 'due', waitMs: Math.max(0, early) };
}

/** The engine's input from what is stored; a mailbox not read yet counts as an empty calendar. */
export function presenceInputOf(
  calendar: CalendarFacts | null,
  override: Override | null,
  policy: Policy,
): PresenceInput {
  return {
    appointments: calendar?.appointments ?? [],
    outOfOffice: calendar?.outOfOffice ?? { status: 'disabled', internalReplyHtml: null },
    mailboxTimeZone: calendar?.timeZone ?? 'UTC',
    override,
    policy,
  };
}

/** Sequences count seconds from here, so they stay above any earlier one after a lost record (int32 until 2088). */
const SEQUENCE_EPOCH = Date.UTC(2020, 0, 1);

/** SPEC §4: strictly increasing per user, also across restarts and a lost presence record. */
export function nextSequence(last: number, now: Instant): number {
  return Math.max(last + 1, Math.floor((now - SEQUENCE_EPOCH) / 1000));
}

function latest(known: Instant | null, notifiedAt: Instant | undefined): Instant | null {
  if (notifiedAt === undefined) return known;
  return known === null ? notifiedAt : Math.max(known, notifiedAt);
}

function sameMemory(a: PresenceMemory, b: PresenceMemory): boolean {
  return (
    a.wakeAt === b.wakeAt &&
    a.sequence === b.sequence &&
    a.override === b.override &&
    a.lastNotificationAt === b.lastNotificationAt
  );
}
