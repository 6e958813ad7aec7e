import type { Instant } from '../presence/model.ts';
import { GroupedSend } from '../queues/grouped-send.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import type { EwsEventWatermark } from './ews-event-watermarks.ts';

/** The re-read waits this long, so a burst of notices for one user (create + update …) costs one read. */
export const COALESCE_SECONDS = 1;
/** Queue sends under way at once; users asked for meanwhile go out together in the next send. */
const MAX_SENDS_IN_FLIGHT = 2;
const USERS_PER_JOB = 20;

type Reason = 'notification' | 'resync';

/**
 * Turns change notifications (Graph or EWS) into calendar-sync jobs: delayed jobs of up to 20
 * users, and users whose job is queued and not yet visible are already covered. Sends are
 * group-committed: while one is under way, further users gather for the next, so 300 notices
 * a second become a few messages (and a few batched re-reads), and a quiet webhook sends at once.
 */
export class CalendarSyncRequests {
  readonly #queues: WorkQueues;
  /** userId → when the calendar-sync job already queued for them becomes visible. */
  readonly #pending = new Map<string, Instant>();
  readonly #groups: Record<Reason, GroupedSend>;
  /** userId → the watermark of their latest EWS event, going out with their next job. */
  readonly #watermarks = new Map<string, EwsEventWatermark>();

  constructor(queues: WorkQueues, now: () => Instant = Date.now) {
    this.#queues = queues;
    const send = (reason: Reason) => (userIds: readonly string[]) => {
      const watermarks = this.#takeWatermarks(userIds);
      return this.#queues.send(
        QUEUES.calendarSync,
        {
          userIds: [...userIds],
          reason,
          outOfOfficeOnly: false,
          // Every notice of the group arrived before this: a read begun later holds them all.
          notifiedAt: now(),
          ...(watermarks.length === 0 ? {} : { ewsWatermarks: watermarks }),
        } satisfies CalendarSyncMessage,
        COALESCE_SECONDS,
      );
    };
    const options = { maxPerMessage: USERS_PER_JOB, maxInFlight: MAX_SENDS_IN_FLIGHT };
    this.#groups = {
      notification: new GroupedSend(send('notification'), options),
      resync: new GroupedSend(send('resync'), options),
    };
  }

  /**
   * False when the queue could not be written (the caller lets the sender retry). `watermark`:
   * the EWS event's, kept by the job once it has read that user (a user already queued keeps the
   * older one: a resume then sends a few events again).
   */
  async request(
    userIds: readonly string[],
    now: Instant,
    reason: Reason,
    watermark?: EwsEventWatermark,
  ): Promise<boolean> {
    const fresh = reason === 'resync' ? userIds : userIds.filter((id) => (this.#pending.get(id) ?? 0) <= now);
    if (fresh.length === 0) return true;
    if (watermark !== undefined && fresh.includes(watermark.userId)) {
      this.#watermarks.set(watermark.userId, watermark);
    }
    const visibleAt = now + COALESCE_SECONDS * 1000;
    for (const id of fresh) this.#pending.set(id, visibleAt);
    try {
      await this.#groups[reason].add(fresh);
    } catch {
      for (const id of fresh) {
        this.#pending.delete(id);
        this.#watermarks.delete(id);
      }
      return false;
    }
    this.#prune(now);
    return true;
  }

  #takeWatermarks(userIds: readonly string[]): EwsEventWatermark[] {
    return userIds.flatMap((id) => {
      const watermark = this.#watermarks.get(id);
      if (watermark === undefined) return [];
      this.#watermarks.delete(id);
      return [watermark];
    });
  }

  #prune(now: Instant): void {
    if (this.#pending.size < 10_000) return;
    for (const [id, visibleAt] of this.#pending) if (visibleAt <= now) this.#pending.delete(id);
  }
}
