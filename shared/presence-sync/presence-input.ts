import type { Override, Policy, PresenceInput } from '../presence/model.ts';
import type { PresenceRecord, StoredCalendar } from '../storage/stores.ts';

/** The engine's input from what is stored; a mailbox not read yet counts as an empty calendar. */
export function presenceInputOf(
  calendar: StoredCalendar | null,
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

/** A user's presence record before the first push. */
export function freshPresenceRecord(userId: string): PresenceRecord {
  return {
    userId,
    lastPushed: null,
    lastPushedAt: null,
    sequence: 0,
    override: null,
    wakeAt: null,
    lastNotificationAt: null,
    etag: null,
  };
}

/** Sequences count seconds from here, so they stay above any earlier one after a lost record (int32 until 2088). */
const SEQUENCE_EPOCH = Date.UTC(2020, 0, 1);

/** SPEC §4: strictly increasing per user, also across restarts and a lost presence record. */
export function nextSequence(last: number, now: number): number {
  return Math.max(last + 1, Math.floor((now - SEQUENCE_EPOCH) / 1000));
}
