import type { Instant } from '../presence/model.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';

/** The re-read waits this long, so a burst of notices for one user (create + update …) costs one read. */
export const COALESCE_SECONDS = 1;

/**
 * Turns change notifications (Graph or EWS) into calendar-sync jobs: one delayed job per 20
 * users, and users whose job is queued and not yet visible are already covered.
 */
export class CalendarSyncRequests {
  readonly #queues: WorkQueues;
  /** userId → when the calendar-sync job already queued for them becomes visible. */
  readonly #pending = new Map<string, Instant>();

  constructor(queues: WorkQueues) {
    this.#queues = queues;
  }

  /** False when the queue could not be written (the caller lets the sender retry). */
  async request(
    userIds: readonly string[],
    now: Instant,
    reason: 'notification' | 'resync',
  ): Promise<boolean> {
    const fresh = reason === 'resync' ? userIds : userIds.filter((id) => (this.#pending.get(id) ?? 0) <= now);
    if (fresh.length === 0) return true;
    const visibleAt = now + COALESCE_SECONDS * 1000;
    for (const id of fresh) this.#pending.set(id, visibleAt);
    try {
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < fresh.length; i += 20) {
        const message: CalendarSyncMessage = {
          userIds: fresh.slice(i, i + 20),
          reason,
          outOfOfficeOnly: false,
          notifiedAt: now,
        };
        jobs.push(this.#queues.send(QUEUES.calendarSync, message, COALESCE_SECONDS));
      }
      await Promise.all(jobs);
    } catch {
      for (const id of fresh) this.#pending.delete(id);
      return false;
    }
    this.#prune(now);
    return true;
  }

  #prune(now: Instant): void {
    if (this.#pending.size < 10_000) return;
    for (const [id, visibleAt] of this.#pending) if (visibleAt <= now) this.#pending.delete(id);
  }
}
