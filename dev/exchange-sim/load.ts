import type { Instant } from '../../shared/presence/model.ts';
import type { DeliveryRecord } from './graph/notifier.ts';
import type { Mailboxes, SimUser } from './mailboxes.ts';

/**
 * Load for the bench and the demo: an organisation of many users with a working week of
 * meetings, calendar changes at a steady rate, and the acknowledgement times of the
 * notifications those changes caused.
 */

export interface SeedOptions {
  readonly count: number;
  readonly domain?: string;
  /** First day of the meetings (UTC midnight); default today. */
  readonly from?: Instant;
  readonly days?: number;
  readonly meetingsPerDay?: number;
  readonly timeZone?: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** `count` users, each with `meetingsPerDay` half-hour meetings from 09:00 UTC for `days` days. */
export function seedUsers(mailboxes: Mailboxes, options: SeedOptions): SimUser[] {
  const from = options.from ?? Math.floor(mailboxes.now() / DAY) * DAY;
  const domain = options.domain ?? 'contoso.com';
  const users: SimUser[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const user = mailboxes.addUser({
      email: `user${i}@${domain}`,
      displayName: `User ${i}`,
      ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    });
    for (let day = 0; day < (options.days ?? 7); day += 1) {
      for (let m = 0; m < (options.meetingsPerDay ?? 2); m += 1) {
        const start = from + day * DAY + 9 * HOUR + m * 2 * HOUR;
        mailboxes.createEvent(user.id, { subject: `Meeting ${m + 1}`, start, end: start + HOUR / 2 });
      }
    }
    users.push(user);
  }
  return users;
}

/**
 * Creates one appointment per tick, round-robin over `users`, at `perSecond` for `durationMs`
 * (each causes a `created` notification per subscription). Resolves with the number made.
 */
export async function driveChanges(
  mailboxes: Mailboxes,
  users: readonly SimUser[],
  options: { readonly perSecond: number; readonly durationMs: number },
): Promise<number> {
  const total = Math.round((options.perSecond * options.durationMs) / 1000);
  const started = performance.now();
  const start = mailboxes.now() + DAY;
  for (let made = 0; made < total; made += 1) {
    const due = started + (made * 1000) / options.perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const user = users[made % users.length];
    if (user) mailboxes.createEvent(user.id, { subject: `Load ${made}`, start, end: start + HOUR });
  }
  return total;
}

export interface AckStats {
  readonly posts: number;
  readonly notifications: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** POSTs not answered with 2xx. */
  readonly failed: number;
}

/** Acknowledgement times of the change-notification POSTs (optionally only those since `since`). */
export function ackStats(deliveries: readonly DeliveryRecord[], since = 0): AckStats {
  const posts = deliveries.filter((d) => d.kind === 'change' && d.startedAt >= since);
  const times = posts.map((d) => d.durationMs).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    posts: posts.length,
    notifications: posts.reduce((n, d) => n + d.count, 0),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: times.at(-1) ?? 0,
    failed: posts.filter((d) => d.status === null || d.status < 200 || d.status >= 300).length,
  };
}
