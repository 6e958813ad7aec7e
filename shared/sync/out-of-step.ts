import { outOfStep } from '../presence/decide-presence.ts';
import type { Instant, Policy } from '../presence/model.ts';
import { freshPresenceRecord } from '../presence-sync/presence-input.ts';
import { MAX_DELAY_SECONDS } from '../queues/messages.ts';
import type { CalendarStore, PresenceStore } from '../storage/stores.ts';

/** Calendars read at once: bounded, so 10,000 users are 500 rounds, not 10,000 reads in flight. */
const READS_AT_ONCE = 20;

/**
 * Of these (integrated) users, those whose last push or wake-up on record no longer matches
 * what their stored calendar says now (outOfStep in shared/presence/decide-presence.ts).
 */
export async function usersOutOfStep(
  deps: {
    readonly presence: PresenceStore;
    readonly calendars: CalendarStore;
    readonly policy: Policy;
    readonly now: () => Instant;
  },
  userIds: readonly string[],
): Promise<string[]> {
  const records = new Map((await deps.presence.list()).map((record) => [record.userId, record]));
  const behind: string[] = [];
  for (let i = 0; i < userIds.length; i += READS_AT_ONCE) {
    const batch = userIds.slice(i, i + READS_AT_ONCE);
    const calendars = await Promise.all(batch.map((userId) => deps.calendars.get(userId)));
    const now = deps.now();
    for (const [j, userId] of batch.entries()) {
      const late = outOfStep({
        standing: 'managed',
        record: records.get(userId) ?? freshPresenceRecord(userId),
        calendar: calendars[j] ?? null,
        policy: deps.policy,
        now,
        longestWaitMs: MAX_DELAY_SECONDS * 1000,
      });
      if (late) behind.push(userId);
    }
  }
  return behind;
}
