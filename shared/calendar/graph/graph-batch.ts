import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { AppError } from '../../errors.ts';
import { fail, ok, type Result } from '../../errors.ts';
import { Limiter } from '../../runtime/limiter.ts';
import { backoffSeconds, parseRetryAfter } from '../../runtime/retry.ts';
import { graphStatusError, toGraphAppError } from './graph-errors.ts';
import { batchResponse } from './graph-schemas.ts';
import type { MailboxGate } from './mailbox-gate.ts';

/** Graph's JSON batching takes at most 20 requests per $batch. */
export const BATCH_SIZE = 20;
const RETRYABLE = new Set([429, 503, 504]);
/** Inside a $batch every sub-request is throttled on its own and the SDK does not retry those: we do. */
const MAX_ATTEMPTS = 8;
const MAX_RETRY_AFTER_SECONDS = 30;

export interface BatchItem {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version, e.g. `/users/ann@contoso.com/mailboxSettings`. */
  readonly url: string;
  readonly body?: unknown;
  /** The mailbox the request touches, for the per-mailbox concurrency limit. */
  readonly mailbox: string;
}

export interface BatchAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface BatchStats {
  /** Round trips to Graph ($batch posts), for the figures. */
  batches: number;
}

/** Runs requests in $batch posts of 20, at most `concurrency` posts at a time, retrying throttled parts. */
export class GraphBatcher {
  readonly #client: Client;
  readonly #gate: MailboxGate;
  readonly #slots: Limiter;
  readonly stats: BatchStats = { batches: 0 };

  constructor(client: Client, gate: MailboxGate, concurrency = 16) {
    this.#client = client;
    this.#gate = gate;
    this.#slots = new Limiter(concurrency);
  }

  /** The final answer of each item by id (any status: callers judge 404 etc.), or an error when Graph could not be asked. */
  async run(items: readonly BatchItem[]): Promise<Map<string, Result<BatchAnswer>>> {
    const answers = new Map<string, Result<BatchAnswer>>();
    const chunks: BatchItem[][] = [];
    for (let i = 0; i < items.length; i += BATCH_SIZE) chunks.push(items.slice(i, i + BATCH_SIZE));
    await Promise.all(chunks.map((chunk) => this.#runChunk(chunk, answers)));
    return answers;
  }

  async #runChunk(chunk: readonly BatchItem[], answers: Map<string, Result<BatchAnswer>>): Promise<void> {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const round = await this.#post(pending);
      if (!round.ok) {
        for (const item of pending) answers.set(item.id, fail(round.error));
        return;
      }
      const retry: BatchItem[] = [];
      let waitSeconds = 0;
      for (const item of pending) {
        const answer = round.value.get(item.id);
        if (answer === undefined) {
          retry.push(item); // Graph left it out: ask again
          continue;
        }
        if (RETRYABLE.has(answer.status) && attempt < MAX_ATTEMPTS) {
          retry.push(item);
          waitSeconds = Math.max(waitSeconds, answer.retryAfterSeconds ?? jitteredBackoffSeconds(attempt));
          continue;
        }
        answers.set(item.id, ok({ status: answer.status, body: answer.body }));
      }
      if (retry.length > 0 && attempt >= MAX_ATTEMPTS) {
        for (const item of retry) {
          answers.set(
            item.id,
            fail(graphStatusError(429, undefined, `${item.method} ${item.url.split('?')[0]}`)),
          );
        }
        return;
      }
      if (retry.length > 0) await sleep(Math.min(waitSeconds, MAX_RETRY_AFTER_SECONDS) * 1000);
      pending = retry;
    }
  }

  async #post(
    items: readonly BatchItem[],
  ): Promise<Result<Map<string, BatchAnswer & { retryAfterSeconds: number | undefined }>, AppError>> {
    const requests = items.map((item) => ({
      id: item.id,
      method: item.method,
      url: item.url,
      ...(item.body === undefined
        ? {}
        : { body: item.body, headers: { 'Content-Type': 'application/json' } }),
    }));
    let raw: unknown;
    try {
      raw = await this.#slots.run(() =>
        this.#gate.run(
          items.map((item) => item.mailbox),
          () => {
            this.stats.batches += 1;
            return this.#client.api('/$batch').post({ requests });
          },
        ),
      );
    } catch (error) {
      return fail(toGraphAppError(error, `a batch of ${items.length} requests`));
    }
    const parsed = batchResponse.safeParse(raw);
    if (!parsed.success) return fail(graphStatusError(502, undefined, 'a batch (unreadable answer)'));
    const byId = new Map<string, BatchAnswer & { retryAfterSeconds: number | undefined }>();
    for (const response of parsed.data.responses) {
      byId.set(response.id, {
        status: response.status,
        body: response.body,
        retryAfterSeconds: retryAfter(response.headers ?? {}),
      });
    }
    return ok(byId);
  }
}

function retryAfter(headers: Readonly<Record<string, unknown>>): number | undefined {
  const found = Object.entries(headers).find(([name]) => name.toLowerCase() === 'retry-after');
  return found === undefined ? undefined : parseRetryAfter(found[1], Date.now());
}

/** Without a Retry-After: a jittered back-off, so the retries of many posts do not arrive together. */
function jitteredBackoffSeconds(attempt: number): number {
  return backoffSeconds(attempt - 1, { firstSeconds: 1, capSeconds: 16 }) * (0.5 + Math.random() / 2);
}
