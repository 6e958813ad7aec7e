import http from 'node:http';
import https from 'node:https';
import { keepAliveAgents } from '../keep-alive-agents.ts';

/**
 * Delivers Graph's outbound calls to the app's callback: validation handshakes, change and
 * lifecycle notifications. Notifications for one URL that come together travel in one POST
 * (Graph batches them too); a POST that fails or times out is retried with backoff, as Graph
 * does for hours. Every POST is recorded with how long the receiver took to answer: the
 * bench reads acknowledgement times from here.
 */

export type DeliveryKind = 'change' | 'lifecycle' | 'validation';

export interface DeliveryRecord {
  readonly url: string;
  readonly kind: DeliveryKind;
  /** Notifications in the POST (1 for a handshake). */
  readonly count: number;
  /** The receiver's status, or null when it did not answer (network error, timeout). */
  readonly status: number | null;
  readonly startedAt: number;
  readonly durationMs: number;
  /** 1 for the first try. */
  readonly attempt: number;
}

export interface NotifierOptions {
  /** How long notifications for one URL are gathered before the POST (default 5 ms). */
  readonly batchWindowMs?: number;
  /** Most notifications in one POST (default 50). */
  readonly maxBatch?: number;
  /** Waits before each retry; after the last the notifications are dropped. */
  readonly retryDelaysMs?: readonly number[];
  /** A receiver that has not answered by then has failed (default 10 s). */
  readonly timeoutMs?: number;
  /**
   * Graph's penalty for slow endpoints: when over 10 % of the recent notifications took
   * longer than 2.9 s, new ones wait this long (default 60 s); over 15 %, they are dropped.
   * The endpoint is judged afresh after the same time.
   */
  readonly slowEndpointDelayMs?: number;
  /** What counts as slow (default Graph's 2.9 s). */
  readonly slowResponseMs?: number;
}

/** How Graph sees an endpoint over its recent notifications. */
export type EndpointHealth = 'healthy' | 'delayed' | 'dropped';

const HEALTH_WINDOW = 100;
const HEALTH_MIN_SAMPLES = 20;

export interface PostResult {
  readonly status: number | null;
  readonly contentType: string;
  readonly text: string;
  readonly durationMs: number;
}

const RECORD_LIMIT = 200_000;

interface Pending {
  readonly url: string;
  readonly kind: 'change' | 'lifecycle';
  readonly items: object[];
  timer: NodeJS.Timeout | null;
}

export class Notifier {
  readonly #options: Required<NotifierOptions>;
  readonly #pending = new Map<string, Pending>();
  /** Per URL: whether each recent change POST was slow or failed. */
  readonly #recent = new Map<string, boolean[]>();
  /** URLs under penalty, whose record is wiped when it ends. */
  readonly #forgiving = new Set<string>();
  /** Not waited for by idle(): they only end a penalty. */
  readonly #penalties = new Set<NodeJS.Timeout>();
  readonly #records: DeliveryRecord[] = [];
  readonly #listeners = new Set<(record: DeliveryRecord) => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #agents = keepAliveAgents(64);
  #stopped = false;
  #dropped = 0;

  constructor(options: NotifierOptions = {}) {
    this.#options = {
      batchWindowMs: options.batchWindowMs ?? 5,
      maxBatch: options.maxBatch ?? 50,
      retryDelaysMs: options.retryDelaysMs ?? [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000],
      timeoutMs: options.timeoutMs ?? 10_000,
      slowEndpointDelayMs: options.slowEndpointDelayMs ?? 60_000,
      slowResponseMs: options.slowResponseMs ?? 2_900,
    };
  }

  /** Queues one notification for `url`; it leaves with the others gathered in the batch window. */
  enqueue(url: string, kind: 'change' | 'lifecycle', item: object): void {
    if (this.#stopped) return;
    const key = `${kind} ${url}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = { url, kind, items: [], timer: null };
      this.#pending.set(key, pending);
    }
    pending.items.push(item);
    if (pending.items.length >= this.#options.maxBatch) {
      this.#flush(key);
    } else if (!pending.timer) {
      pending.timer = setTimeout(() => this.#flush(key), this.#options.batchWindowMs);
    }
  }

  /** Graph's handshake: POST `?validationToken=…` as text/plain, expecting the token echoed. */
  async validate(url: string, token: string, timeoutMs: number): Promise<PostResult> {
    const target = new URL(url);
    target.searchParams.set('validationToken', token);
    const result = await this.#post(target, 'text/plain; charset=utf-8', '', timeoutMs);
    this.#record({
      url,
      kind: 'validation',
      count: 1,
      status: result.status,
      startedAt: Date.now() - result.durationMs,
      durationMs: result.durationMs,
      attempt: 1,
    });
    return result;
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.#records;
  }

  /** Notifications given up: after the last retry, or dropped for a slow endpoint. */
  droppedCount(): number {
    return this.#dropped;
  }

  onDelivery(listener: (record: DeliveryRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once nothing is gathered, in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0 || this.#inFlight.size > 0 || this.#timers.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) if (pending.timer) clearTimeout(pending.timer);
    this.#pending.clear();
    for (const timer of [...this.#timers, ...this.#penalties]) clearTimeout(timer);
    this.#timers.clear();
    this.#penalties.clear();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** Graph's verdict on an endpoint, from its last 100 change notifications. */
  endpointHealth(url: string): EndpointHealth {
    const recent = this.#recent.get(url) ?? [];
    if (recent.length < HEALTH_MIN_SAMPLES) return 'healthy';
    const slow = recent.filter(Boolean).length / recent.length;
    return slow > 0.15 ? 'dropped' : slow > 0.1 ? 'delayed' : 'healthy';
  }

  #flush(key: string): void {
    const pending = this.#pending.get(key);
    if (!pending) return;
    this.#pending.delete(key);
    if (pending.timer) clearTimeout(pending.timer);
    const health = pending.kind === 'change' ? this.endpointHealth(pending.url) : 'healthy';
    if (health !== 'healthy' && !this.#forgiving.has(pending.url)) {
      this.#forgiving.add(pending.url);
      const timer = setTimeout(() => {
        this.#penalties.delete(timer);
        this.#forgiving.delete(pending.url);
        this.#recent.delete(pending.url);
      }, this.#options.slowEndpointDelayMs);
      this.#penalties.add(timer);
    }
    if (health === 'dropped') {
      this.#dropped += pending.items.length;
      return;
    }
    if (health === 'delayed') {
      this.#later(this.#options.slowEndpointDelayMs, () =>
        this.#deliver(pending.url, pending.kind, pending.items, 1),
      );
      return;
    }
    this.#deliver(pending.url, pending.kind, pending.items, 1);
  }

  #later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, delayMs);
    this.#timers.add(timer);
  }

  #remember(url: string, slow: boolean): void {
    const recent = this.#recent.get(url) ?? [];
    recent.push(slow);
    if (recent.length > HEALTH_WINDOW) recent.shift();
    this.#recent.set(url, recent);
  }

  #deliver(url: string, kind: 'change' | 'lifecycle', items: object[], attempt: number): void {
    if (this.#stopped) return;
    const body = JSON.stringify({ value: items });
    const startedAt = Date.now();
    const task = this.#post(
      new URL(url),
      'application/json; charset=utf-8',
      body,
      this.#options.timeoutMs,
    ).then((result) => {
      this.#record({
        url,
        kind,
        count: items.length,
        status: result.status,
        startedAt,
        durationMs: result.durationMs,
        attempt,
      });
      const ok = result.status !== null && result.status >= 200 && result.status < 300;
      if (kind === 'change') this.#remember(url, result.durationMs > this.#options.slowResponseMs);
      if (!ok) this.#retry(url, kind, items, attempt);
    });
    this.#inFlight.add(task);
    void task.finally(() => this.#inFlight.delete(task));
  }

  #retry(url: string, kind: 'change' | 'lifecycle', items: object[], attempt: number): void {
    const delay = this.#options.retryDelaysMs[attempt - 1];
    if (delay === undefined || this.#stopped) {
      this.#dropped += items.length;
      return;
    }
    this.#later(delay, () => this.#deliver(url, kind, items, attempt + 1));
  }

  #post(url: URL, contentType: string, body: string, timeoutMs: number): Promise<PostResult> {
    const started = performance.now();
    const secure = url.protocol === 'https:';
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number | null, type: string, text: string) => {
        if (settled) return;
        settled = true;
        resolve({ status, contentType: type, text, durationMs: performance.now() - started });
      };
      const req = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? this.#agents.https : this.#agents.http,
          headers: {
            'content-type': contentType,
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Microsoft-Graph-Notifications-Simulator/1.0',
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            if (chunks.length < 64) chunks.push(chunk);
          });
          res.on('end', () =>
            done(
              res.statusCode ?? null,
              String(res.headers['content-type'] ?? ''),
              Buffer.concat(chunks).toString('utf8'),
            ),
          );
          res.on('error', () => done(null, '', ''));
        },
      );
      req.on('timeout', () => {
        req.destroy();
        done(null, '', '');
      });
      req.on('error', () => done(null, '', ''));
      req.end(body);
    });
  }

  #record(record: DeliveryRecord): void {
    if (this.#records.length >= RECORD_LIMIT) this.#records.splice(0, RECORD_LIMIT / 2);
    this.#records.push(record);
    for (const listener of this.#listeners) listener(record);
  }
}
