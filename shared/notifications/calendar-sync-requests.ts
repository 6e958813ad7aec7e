import type { Instant } from '../presence/model.ts';
import { GroupedSend } from '../queues/grouped-send.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import type { EwsEventWatermark } from './ews-event-watermarks.ts';

/** Queue sends under way at once per kind; users asked for meanwhile go out together in the next send. */
const MAX_SENDS_IN_FLIGHT = 2;
const USERS_PER_JOB = 20;

type Reason = 'notification' | 'resync';

/**
 * Turns change notifications (Graph or EWS) into calendar-sync jobs of up to 20 users, each
 * queued at once on the changes queue, which no scan fills: a change is read as soon as a
 * worker polls. Each notice costs the webhook at
 * most one queue write, group-committed: while one send is under way, further users gather for
 * the next, so 300 notices a second become a few messages, and a quiet webhook sends at once.
 * Notices for one user that come close together cost one read all the same: the message says
 * when its notices had all arrived (`notifiedAt`), and a job skips a user whose stored read began
 * after that (calendar-sync-plan.ts), the jobs of one process taking turns per user.
 */
export class CalendarSyncRequests {
  readonly #groups: Record<Reason, GroupedSend>;
  /** userId → the watermark of their latest EWS event, going out with their next job. */
  readonly #watermarks = new Map<string, EwsEventWatermark>();

  constructor(queues: WorkQueues, now: () => Instant = Date.now) {
    const send = (reason: Reason) => (userIds: readonly string[]) => {
      const watermarks = this.#takeWatermarks(userIds);
      return queues.send(QUEUES.calendarChanges, {
        userIds: [...userIds],
        reason,
        outOfOfficeOnly: false,
        // Every notice of the group arrived before this.
        notifiedAt: now(),
        ...(watermarks.length === 0 ? {} : { ewsWatermarks: watermarks }),
      } satisfies CalendarSyncMessage);
    };
    const options = { maxPerMessage: USERS_PER_JOB, maxInFlight: MAX_SENDS_IN_FLIGHT };
    this.#groups = {
      notification: new GroupedSend(send('notification'), options),
      resync: new GroupedSend(send('resync'), options),
    };
  }

  /**
   * False when the queue could not be written (the caller lets the sender retry). `watermark`:
   * the EWS event's, kept by the job once it has read that user.
   */
  async request(userIds: readonly string[], reason: Reason, watermark?: EwsEventWatermark): Promise<boolean> {
    if (watermark !== undefined) this.#watermarks.set(watermark.userId, watermark);
    try {
      await this.#groups[reason].add([...new Set(userIds)]);
      return true;
    } catch {
      return false;
    }
  }

  #takeWatermarks(userIds: readonly string[]): EwsEventWatermark[] {
    return userIds.flatMap((id) => {
      const watermark = this.#watermarks.get(id);
      if (watermark === undefined) return [];
      this.#watermarks.delete(id);
      return [watermark];
    });
  }
}
