import { z } from 'zod';
import { subscriptionRecord } from '../storage/records.ts';

/** The longest visibility delay Azure Storage queues accept: 7 days. */
export const MAX_QUEUE_DELAY_SECONDS = 7 * 24 * 3600;

/** The longest delay our senders ask for: the queue's, less a margin for clocks that differ. */
export const MAX_DELAY_SECONDS = MAX_QUEUE_DELAY_SECONDS - 60;

/** Queue names (lower-case, as Azure requires). Poison queues are `<name>-poison`. */
export const QUEUES = {
  /** Read one or more users' calendars and out-of-office from Exchange, store, (re)subscribe. */
  calendarSync: 'calendar-sync',
  /**
   * The same jobs for change notices (and the re-reads lifecycle notices ask for): a queue of
   * their own, so a change is read at once even while a scan's jobs fill `calendar-sync`.
   */
  calendarChanges: 'calendar-changes',
  /** Recompute one user's presence, push on change, schedule the next transition. */
  presence: 'presence',
  /** Directory sync and fan-out (start-up, weekly, Force now). */
  scan: 'scan',
} as const;

export const calendarSyncMessage = z.object({
  userIds: z.array(z.string().min(1)).min(1).max(20),
  reason: z.enum(['scan', 'notification', 'resync', 'force', 'refresh-oof']),
  /** Only the out-of-office setting (the periodic refresh), not the calendar. */
  outOfOfficeOnly: z.boolean().default(false),
  /**
   * For 'notification': when the change notice arrived (epoch ms). A user whose calendar was
   * read after this instant is already up to date, so a burst of notices costs one read.
   */
  notifiedAt: z.number().int().optional(),
  /**
   * Written by the version before this one (its delayed messages absorbed notices until they
   * became visible): every notice the message stands for arrived before this instant. Read in
   * place of `notifiedAt`, so a message queued across a deployment is still read right.
   */
  coveredUntil: z.number().int().optional(),
  /**
   * The users' addresses as the scan just read them from PHONE-LiNK, so the job need not look
   * each user up again (a scan of 10,000 users saves 10,000 storage reads).
   */
  mailboxes: z
    .array(
      z.object({
        userId: z.string().min(1),
        email: z.string().min(1),
        /** The directory id the address resolved to, when known (Graph addresses the mailbox by it). */
        directoryId: z.string().min(1).optional(),
        /** The user joined the integration in this scan: nothing is stored for them yet. */
        joined: z.boolean().optional(),
      }),
    )
    .max(20)
    .optional(),
  /**
   * With `mailboxes`: the users' subscriptions as the scan listed them (a user not here had
   * none), so the job need not read each. A subscription replaced meanwhile is renewed in vain
   * and then recreated; the replaced one expires unrenewed.
   */
  subscriptions: z.array(subscriptionRecord).max(20).optional(),
  /** Earlier tries of these users' reads, which Exchange throttled or did not answer (none when absent). */
  attempt: z.number().int().min(0).optional(),
  /** For 'notification' from EWS: each user's event watermark, kept once their read succeeds (notifications/ews-event-watermarks.ts). */
  ewsWatermarks: z
    .array(
      z.object({
        userId: z.string().min(1),
        subscriptionId: z.string().min(1),
        watermark: z.string().min(1),
      }),
    )
    .max(20)
    .optional(),
});
export type CalendarSyncMessage = z.infer<typeof calendarSyncMessage>;

export const presenceMessage = z.object({
  userId: z.string().min(1),
  reason: z.enum(['calendar-changed', 'transition', 'override', 'retry', 'scan']),
  /** For 'transition': the instant this wake-up is for (epoch ms). */
  wakeAt: z.number().int().nullable().default(null),
  /** For 'retry': how many pushes of this update have failed so far (drives the back-off). */
  attempt: z.number().int().min(0).default(0),
  /** For 'calendar-changed' after a change notice: when the notice arrived (epoch ms), kept in the presence record. */
  notifiedAt: z.number().int().optional(),
  /**
   * A recalculation handed on after it failed: a push reserved since this instant (epoch ms) may
   * not have arrived, so it is made again.
   */
  unconfirmedSince: z.number().int().optional(),
});
export type PresenceMessage = z.infer<typeof presenceMessage>;

/**
 * Several users in one message: one queue write, read and delete instead of one per user. The
 * users of one calendar-sync job whose calendars changed (`calendar-changed`), or users whose
 * next transition is the same instant (`transition` with `wakeAt`). The worker recalculates each
 * as a presence message of their own; a user whose recalculation fails goes back on the queue alone.
 */
export const presenceGroupMessage = z
  .object({
    userIds: z.array(z.string().min(1)).min(1).max(20),
    reason: z.enum(['calendar-changed', 'transition']),
    /** For 'transition': the instant of the wake-up (epoch ms). */
    wakeAt: z.number().int().optional(),
    /** The calendar-sync message's `notifiedAt`, handed on to each user's recalculation. */
    notifiedAt: z.number().int().optional(),
    /** As a presence message's: the users' recalculations failed after they may have reserved a push. */
    unconfirmedSince: z.number().int().optional(),
  })
  .refine((group) => (group.reason === 'transition') === (group.wakeAt !== undefined), {
    message: 'a transition group names its wakeAt, and only it',
    path: ['wakeAt'],
  });
export type PresenceGroupMessage = z.infer<typeof presenceGroupMessage>;

export const scanMessage = z.object({
  reason: z.enum(['startup', 'weekly', 'force']),
});
export type ScanMessage = z.infer<typeof scanMessage>;

export interface WorkQueues {
  /** `delaySeconds` makes the message visible later (at most 7 days). */
  send(queue: (typeof QUEUES)[keyof typeof QUEUES], message: unknown, delaySeconds?: number): Promise<void>;
}

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Where the Functions host moves a message after host.json `maxDequeueCount` failed tries: `<name>-poison`. */
export const poisonQueueOf = (queue: QueueName): string => `${queue}-poison`;

export interface PoisonQueues {
  /** Puts up to `max` messages of the queue's poison queue back on it; answers them as they were (parsed JSON). */
  rerun(queue: QueueName, max: number): Promise<readonly unknown[]>;
}
