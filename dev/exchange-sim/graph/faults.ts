import { graphError, type SimResponse } from './http.ts';

/** What a round trip was for, as the bench counts them. */
export const REQUEST_KINDS = [
  'token',
  'discovery',
  'users',
  'organization',
  'calendarView',
  'events',
  'mailboxSettings',
  'subscriptions',
  'batch',
  'other',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Outlook lets one app run this many requests against one mailbox at a time. */
export const MAILBOX_CONCURRENCY = 4;

/**
 * Injected trouble and the counters the bench reads: a latency added to every round trip,
 * a ratio of requests (and of `$batch` sub-requests) answered 429, and Outlook's limit of
 * concurrent requests per mailbox. Throttling draws from a seeded generator, so a test run
 * can be repeated.
 */
export class Faults {
  latencyMs: number;
  throttleRatio: number;
  /** A further ratio answered 503 with Retry-After (Graph's "service unavailable"). */
  unavailableRatio: number;
  readonly #roundTrips = new Map<RequestKind, number>();
  readonly #operations = new Map<RequestKind, number>();
  readonly #inFlight = new Map<string, number>();
  #seed: number;
  #throttled = 0;

  constructor(options: {
    latencyMs?: number;
    throttleRatio?: number;
    unavailableRatio?: number;
    seed?: number;
  }) {
    this.latencyMs = options.latencyMs ?? 0;
    this.throttleRatio = options.throttleRatio ?? 0;
    this.unavailableRatio = options.unavailableRatio ?? 0;
    this.#seed = options.seed ?? 0x5eed;
  }

  /** One HTTP round trip (a whole `$batch` counts once, as 'batch'). */
  countRoundTrip(kind: RequestKind): void {
    this.#roundTrips.set(kind, (this.#roundTrips.get(kind) ?? 0) + 1);
  }

  /** One Graph operation: a request on its own or a `$batch` sub-request. */
  countOperation(kind: RequestKind): void {
    this.#operations.set(kind, (this.#operations.get(kind) ?? 0) + 1);
  }

  roundTrips(kind?: RequestKind): number {
    return kind ? (this.#roundTrips.get(kind) ?? 0) : sum(this.#roundTrips);
  }

  operations(kind?: RequestKind): number {
    return kind ? (this.#operations.get(kind) ?? 0) : sum(this.#operations);
  }

  throttledCount(): number {
    return this.#throttled;
  }

  resetCounters(): void {
    this.#roundTrips.clear();
    this.#operations.clear();
    this.#throttled = 0;
  }

  /** A random 429 (or 503) for this operation, or null. */
  maybeThrottle(): SimResponse | null {
    if (this.throttleRatio <= 0 && this.unavailableRatio <= 0) return null;
    const draw = this.#random();
    if (draw < this.throttleRatio) {
      this.#throttled += 1;
      return tooManyRequests('TooManyRequests', 'Too many requests.');
    }
    if (draw < this.throttleRatio + this.unavailableRatio) {
      this.#throttled += 1;
      return graphError(503, 'ServiceNotAvailable', 'The service is temporarily unavailable.', {
        'retry-after': '1',
      });
    }
    return null;
  }

  /**
   * Takes one of the mailbox's concurrent-request slots; returns its release, or a 429 when
   * the app already runs MAILBOX_CONCURRENCY requests against that mailbox.
   */
  enterMailbox(appId: string, mailbox: string): { release: () => void } | { refused: SimResponse } {
    const key = `${appId}|${mailbox.toLowerCase()}`;
    const running = this.#inFlight.get(key) ?? 0;
    if (running >= MAILBOX_CONCURRENCY) {
      this.#throttled += 1;
      return {
        refused: tooManyRequests('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'),
      };
    }
    this.#inFlight.set(key, running + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#inFlight.get(key) ?? 1) - 1;
        if (left <= 0) this.#inFlight.delete(key);
        else this.#inFlight.set(key, left);
      },
    };
  }

  /** mulberry32: small, fast, good enough to spread 429s evenly. */
  #random(): number {
    this.#seed = (this.#seed + 0x6d2b79f5) | 0;
    let t = this.#seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function tooManyRequests(code: string, message: string): SimResponse {
  return graphError(429, code, message, { 'retry-after': '1' });
}

function sum(map: ReadonlyMap<RequestKind, number>): number {
  let total = 0;
  for (const n of map.values()) total += n;
  return total;
}
