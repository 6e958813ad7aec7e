import type { Instant } from '../presence/model.ts';
import { GroupedSend } from '../queues/grouped-send.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';
import type { EwsEventWatermark } from './ews-event-watermarks.ts';
import { decideRead, markIsSpent, type ReadMark, TRAILING_DELAY_SECONDS } from './read-coalescing.ts';

/** Queue sends under way at once per kind; users asked for meanwhile go out together in the next send. */
const MAX_SENDS_IN_FLIGHT = 2;
const USERS_PER_JOB = 20;
/** Marks kept before the spent ones are dropped. */
const PRUNE_AT = 10_000;

type Reason = 'notification' | 'resync';
type Edge = 'leading' | 'trailing' | 'resync';
/** A mark and the write of its message: a notice it absorbs is safe only once that write is. */
type Marked = { readonly mark: ReadMark; readonly written: Promise<void> };

/**
 * Turns change notifications (Graph or EWS) into calendar-sync jobs of up to 20 users, leading
 * and trailing edge (read-coalescing.ts): a user's first notice is read at once, later ones while
 * that read may be under way become one delayed read, and notices while that one is not visible
 * yet cost nothing. Each notice costs the webhook at most one queue write, group-committed: while
 * one send is under way, further users gather for the next, so 300 notices a second become a few
 * messages, and a quiet webhook sends at once.
 */
export class CalendarSyncRequests {
  readonly #now: () => Instant;
  /** userId → this instance's latest notice-driven message for them, and its queue write. */
  readonly #marks = new Map<string, Marked>();
  readonly #groups: Record<Edge, GroupedSend>;
  /** userId → the watermark of their latest EWS event, going out with their next job. */
  readonly #watermarks = new Map<string, EwsEventWatermark>();

  constructor(queues: WorkQueues, now: () => Instant = Date.now) {
    this.#now = now;
    const send = (reason: Reason, delaySeconds: number) => (userIds: readonly string[]) => {
      const watermarks = this.#takeWatermarks(userIds);
      // Every notice of the group arrived before this; a delayed message absorbs more until it is visible.
      const notifiedAt = now();
      return queues.send(
        QUEUES.calendarSync,
        {
          userIds: [...userIds],
          reason,
          outOfOfficeOnly: false,
          notifiedAt,
          ...(reason === 'notification' ? { coveredUntil: notifiedAt + delaySeconds * 1000 } : {}),
          ...(watermarks.length === 0 ? {} : { ewsWatermarks: watermarks }),
        } satisfies CalendarSyncMessage,
        delaySeconds,
      );
    };
    const options = { maxPerMessage: USERS_PER_JOB, maxInFlight: MAX_SENDS_IN_FLIGHT };
    this.#groups = {
      leading: new GroupedSend(send('notification', 0), options),
      trailing: new GroupedSend(send('notification', TRAILING_DELAY_SECONDS), options),
      resync: new GroupedSend(send('resync', 0), options),
    };
  }

  /**
   * False when the queue could not be written (the caller lets the sender retry). `watermark`:
   * the EWS event's, kept by the job once it has read that user (a user already covered keeps
   * the older one: a resume then sends a few events again).
   */
  async request(
    userIds: readonly string[],
    now: Instant,
    reason: Reason,
    watermark?: EwsEventWatermark,
  ): Promise<boolean> {
    const byEdge: Record<Edge, string[]> = { leading: [], trailing: [], resync: [] };
    const before = new Map<string, Marked | undefined>();
    const marks = new Map<string, ReadMark>();
    const mine = new Map<string, Promise<void>>();
    // A notice absorbed into a message whose write is still under way waits for that write, and
    // fails with it: acknowledged before, it would be lost if the write failed.
    const covering: Promise<void>[] = [];
    for (const id of new Set(userIds)) {
      if (reason === 'resync') {
        byEdge.resync.push(id);
        continue;
      }
      const marked = this.#marks.get(id);
      const decision = decideRead(marked?.mark, now);
      if (decision.kind === 'covered') {
        if (marked !== undefined) covering.push(marked.written);
        continue;
      }
      before.set(id, marked);
      marks.set(id, decision.mark);
      byEdge[decision.kind].push(id);
    }
    if (watermark !== undefined && before.has(watermark.userId)) {
      this.#watermarks.set(watermark.userId, watermark);
    }
    const sends = (Object.keys(byEdge) as Edge[]).flatMap((edge) => {
      if (byEdge[edge].length === 0) return [];
      const written = this.#groups[edge].add(byEdge[edge]);
      for (const id of byEdge[edge]) {
        const mark = marks.get(id);
        if (mark !== undefined) this.#marks.set(id, { mark, written });
        mine.set(id, written);
      }
      return [written];
    });
    try {
      await Promise.all([...sends, ...covering]);
    } catch {
      // Not queued: the user's earlier mark (if any) is what stands, unless a later notice replaced ours.
      for (const [id, mark] of before) {
        if (this.#marks.get(id)?.written !== mine.get(id)) continue;
        if (mark === undefined) this.#marks.delete(id);
        else this.#marks.set(id, mark);
        this.#watermarks.delete(id);
      }
      return false;
    }
    this.#prune();
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

  #prune(): void {
    if (this.#marks.size < PRUNE_AT) return;
    const now = this.#now();
    for (const [id, { mark }] of this.#marks) if (markIsSpent(mark, now)) this.#marks.delete(id);
  }
}
