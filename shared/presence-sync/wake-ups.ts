import type { Instant } from '../presence/model.ts';
import { GroupedSend } from '../queues/grouped-send.ts';
import {
  MAX_DELAY_SECONDS,
  type PresenceGroupMessage,
  type PresenceMessage,
  QUEUES,
  type WorkQueues,
} from '../queues/messages.ts';

/** Puts a user's wake-up for `wakeAt` on the presence queue; resolves once it is written. */
export interface WakeUps {
  schedule(userId: string, wakeAt: Instant): Promise<void>;
}

/** Users per wake-up message, as in the other group messages. */
const USERS_PER_MESSAGE = 20;

/** One message per user. */
export function singleWakeUps(queues: WorkQueues, now: () => Instant): WakeUps {
  return {
    schedule: (userId, wakeAt) =>
      queues.send(QUEUES.presence, wakeUpOf(userId, wakeAt), delaySecondsUntil(wakeAt, now())),
  };
}

/**
 * Users whose next transition is the same instant share one message, when they are scheduled
 * at about the same time (the users of one calendar-sync job or one group wake-up: meetings
 * start and end on the hour and half hour). Each message is a put, a get and a delete, and the
 * queue holds a wake-up for every user, so this is most of the queue traffic there is.
 */
export class GroupedWakeUps implements WakeUps {
  readonly #queues: WorkQueues;
  readonly #now: () => Instant;
  readonly #byInstant = new Map<Instant, GroupedSend>();

  constructor(queues: WorkQueues, now: () => Instant) {
    this.#queues = queues;
    this.#now = now;
  }

  schedule(userId: string, wakeAt: Instant): Promise<void> {
    let group = this.#byInstant.get(wakeAt);
    if (group === undefined) {
      group = new GroupedSend((userIds) => this.#send(userIds, wakeAt), {
        maxPerMessage: USERS_PER_MESSAGE,
        maxInFlight: 1,
        onIdle: () => this.#byInstant.delete(wakeAt),
      });
      this.#byInstant.set(wakeAt, group);
    }
    return group.add([userId]);
  }

  #send(userIds: readonly string[], wakeAt: Instant): Promise<void> {
    const [only] = userIds;
    const message =
      userIds.length === 1 && only !== undefined
        ? wakeUpOf(only, wakeAt)
        : ({ userIds: [...userIds], reason: 'transition', wakeAt } satisfies PresenceGroupMessage);
    return this.#queues.send(QUEUES.presence, message, delaySecondsUntil(wakeAt, this.#now()));
  }
}

function wakeUpOf(userId: string, wakeAt: Instant): Partial<PresenceMessage> {
  return { userId, reason: 'transition', wakeAt };
}

/**
 * Whole seconds (the queue's unit), rounded down: the message becomes visible at most a second
 * before its instant and the worker waits out the rest, so a transition lands within the poll
 * interval, not a rounding second later.
 */
export function delaySecondsUntil(at: Instant, now: Instant): number {
  return Math.min(Math.max(0, Math.floor((at - now) / 1000)), MAX_DELAY_SECONDS);
}
