// The Graph bench's figures of one size, how they are computed from what the simulators saw, and
// the targets each is held to (issue: 20,000 users, several instances, a change within a second).
import type { DeliveryRecord } from '../dev/exchange-sim/graph/notifier.ts';
import { GIVE_UP_MS } from './change-lag.ts';

export interface AckFigures {
  readonly notices: number;
  readonly posts: number;
  readonly p50: number;
  readonly p99: number;
  /** POSTs not answered 202 (Graph retries them, and drops an endpoint that keeps failing). */
  readonly failed: number;
}

export interface LagFigures {
  readonly changes: number;
  /** Changes that had not reached PHONE-LiNK after GIVE_UP_MS (counted at that limit). */
  readonly notShown: number;
  readonly p50: number;
  readonly p95: number;
}

export interface SizeFigures {
  readonly users: number;
  readonly scanSeconds: number;
  readonly roundTripsPerUser: number;
  /** Queue and table requests from the first to the last of the scan, per user. */
  readonly storagePerUser: number;
  readonly rssMb: number;
  readonly rssPerGroup: Readonly<Record<string, number>>;
  /** Null when the scan ended before a tenth of the users were pushed (too small to measure during it). */
  readonly ackDuring: AckFigures | null;
  readonly ackAfter: AckFigures;
  readonly lagDuring: LagFigures | null;
  readonly lagAfter: LagFigures;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

/** The change-notice POSTs Graph began in [from, to). */
export function acksBetween(deliveries: readonly DeliveryRecord[], from: number, to: number): AckFigures {
  const posts = deliveries.filter((d) => d.kind === 'change' && d.startedAt >= from && d.startedAt < to);
  const times = posts.map((d) => d.durationMs).sort((a, b) => a - b);
  return {
    notices: posts.reduce((sum, d) => sum + d.count, 0),
    posts: posts.length,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    failed: posts.filter((d) => d.status !== 202).length,
  };
}

export function lagFigures(lags: readonly number[]): LagFigures {
  const sorted = [...lags].sort((a, b) => a - b);
  return {
    changes: sorted.length,
    notShown: sorted.filter((lag) => lag >= GIVE_UP_MS).length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
  };
}

export interface Row {
  readonly label: string;
  readonly target: string;
  readonly value: (figures: SizeFigures) => string;
  /** Null: no target at this size (the figure is shown for the ratio). */
  readonly ok: (figures: SizeFigures) => boolean | null;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;
const ack = (figures: AckFigures | null) =>
  figures === null ? 'n/a' : `p99 ${ms(figures.p99)} (${figures.failed}/${figures.posts} not 202)`;
const lag = (figures: LagFigures | null) =>
  figures === null
    ? 'n/a'
    : `p95 ${seconds(figures.p95)} (p50 ${seconds(figures.p50)}${figures.notShown > 0 ? `, ${figures.notShown}/${figures.changes} not shown within ${GIVE_UP_MS / 1000} s` : ''})`;
const ackOk = (figures: AckFigures | null) => figures === null || (figures.p99 <= 20 && figures.failed === 0);
const lagOk = (figures: LagFigures | null) =>
  figures === null || (figures.p95 <= 1000 && figures.notShown === 0);

export const ROWS: readonly Row[] = [
  {
    label: 'full scan (first Graph request → all subscribed and pushed)',
    target: '≤ 60 s at 20,000',
    value: (f) => `${f.scanSeconds.toFixed(2)} s`,
    ok: (f) => (f.users >= 20_000 ? f.scanSeconds <= 60 : null),
  },
  {
    label: 'Graph round trips per user',
    target: '≤ 0.15',
    value: (f) => f.roundTripsPerUser.toFixed(3),
    ok: (f) => f.roundTripsPerUser <= 0.15,
  },
  {
    label: 'storage operations per user (scan)',
    target: 'flat with users',
    value: (f) => f.storagePerUser.toFixed(2),
    ok: () => null,
  },
  {
    label: 'peak RSS of the largest functions process',
    target: '≤ 200 MB at 2,000, ≤ 260 MB at 20,000',
    value: (f) => `${f.rssMb.toFixed(0)} MB`,
    ok: (f) => f.rssMb <= (f.users >= 20_000 ? 260 : 200),
  },
  {
    label: 'webhook ack at 300 notices/s during the scan',
    target: 'p99 ≤ 20 ms, all 202',
    value: (f) => ack(f.ackDuring),
    ok: (f) => ackOk(f.ackDuring),
  },
  {
    label: 'webhook ack at 300 notices/s after the scan',
    target: 'p99 ≤ 20 ms, all 202',
    value: (f) => ack(f.ackAfter),
    ok: (f) => ackOk(f.ackAfter),
  },
  {
    label: 'appointment change → push, during the scan',
    target: 'p95 ≤ 1 s',
    value: (f) => lag(f.lagDuring),
    ok: (f) => lagOk(f.lagDuring),
  },
  {
    label: 'appointment change → push, after the scan',
    target: 'p95 ≤ 1 s',
    value: (f) => lag(f.lagAfter),
    ok: (f) => lagOk(f.lagAfter),
  },
];
