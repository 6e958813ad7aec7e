import type { Instant } from '../presence/model.ts';
import { type CalendarSyncMessage, QUEUES, type WorkQueues } from '../queues/messages.ts';

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

  constructor(queues: WorkQueues, now: () => Instant = Date.now) {
    this.#queues = queues;
    const send = (reason: Reason) => (userIds: readonly string[]) =>
      this.#queues.send(
        QUEUES.calendarSync,
        {
          userIds: [...userIds],
          reason,
          outOfOfficeOnly: false,
          // Every notice of the group arrived before this: a read begun later holds them all.
          notifiedAt: now(),
        } satisfies CalendarSyncMessage,
        COALESCE_SECONDS,
      );
    this.#groups = {
      notification: new GroupedSend(send('notification')),
      resync: new GroupedSend(send('resync')),
    };
  }

  /** False when the queue could not be written (the caller lets the sender retry). */
  async request(userIds: readonly string[], now: Instant, reason: Reason): Promise<boolean> {
    const fresh = reason === 'resync' ? userIds : userIds.filter((id) => (this.#pending.get(id) ?? 0) <= now);
    if (fresh.length === 0) return true;
    const visibleAt = now + COALESCE_SECONDS * 1000;
    for (const id of fresh) this.#pending.set(id, visibleAt);
    try {
      await this.#groups[reason].add(fresh);
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

/** Group commit of user ids into messages of up to 20. */
class GroupedSend {
  readonly #send: (userIds: readonly string[]) => Promise<void>;
  #open: {
    readonly userIds: Set<string>;
    readonly done: Promise<void>;
    settle: (error?: unknown) => void;
  } | null = null;
  #inFlight = 0;

  constructor(send: (userIds: readonly string[]) => Promise<void>) {
    this.#send = send;
  }

  add(userIds: readonly string[]): Promise<void> {
    let group = this.#open;
    if (group === null) {
      let settle: (error?: unknown) => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      group = { userIds: new Set(), done, settle };
      this.#open = group;
      // Callers in the same turn of the event loop join before it goes.
      if (this.#inFlight < MAX_SENDS_IN_FLIGHT) setImmediate(() => this.#flush());
    }
    for (const id of userIds) group.userIds.add(id);
    return group.done;
  }

  #flush(): void {
    const group = this.#open;
    if (group === null) return;
    this.#open = null;
    this.#inFlight += 1;
    const ids = [...group.userIds];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i += USERS_PER_JOB)
      sends.push(this.#send(ids.slice(i, i + USERS_PER_JOB)));
    Promise.all(sends)
      .then(
        () => group.settle(),
        (error: unknown) => group.settle(error ?? new Error('queue send failed')),
      )
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#open !== null && this.#inFlight < MAX_SENDS_IN_FLIGHT) this.#flush();
      });
  }
}
