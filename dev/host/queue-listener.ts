import { randomUUID } from 'node:crypto';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { AppError } from '../../shared/errors.ts';
import type { QueueFunction } from '../../shared/runtime/define-function.ts';
import { InvocationContext } from './azure-functions.ts';
import type { HostConfig } from './host-json.ts';

/** The first wait after an empty poll; it doubles up to host.json maxPollingInterval. */
const MIN_POLL_MS = 100;

export interface QueueListenerOptions {
  readonly fn: QueueFunction;
  readonly queue: QueueClient;
  readonly poisonQueue: QueueClient;
  readonly config: HostConfig;
  /**
   * How long a received message stays invisible while its function runs; renewed at half-time.
   * A host killed mid-batch loses nothing: its messages reappear once their lease runs out.
   */
  readonly leaseMs: number;
  /** How long stop() waits for functions under way before leaving them to their lease. */
  readonly stopGraceMs: number;
  /** Resolves once the line is written (the poison reason is logged before the move). */
  readonly log: (line: string, level: 'info' | 'warning' | 'error') => void | Promise<void>;
}

export interface QueueListener {
  stop(): Promise<void>;
}

/**
 * A storage-queue trigger as the Functions host runs it (host.json `extensions.queues`): batches
 * of `batchSize`, a new batch once in-flight messages fall to `newBatchThreshold`, polling that
 * backs off to `maxPollingInterval` while the queue is empty, a failed message visible again
 * after `visibilityTimeout`, and after `maxDequeueCount` attempts moved to `<queue>-poison`
 * with the reason logged. Messages are base64 (messageEncoding), then JSON when they parse.
 */
export function startQueueListener(options: QueueListenerOptions): QueueListener {
  const { fn, queue, config } = options;
  const settings = config.queues;
  const leaseSeconds = Math.max(1, Math.ceil(options.leaseMs / 1000));
  const inFlight = new Set<Promise<void>>();
  const state: ListenerState = { abandoned: false, timers: new Set() };
  let stopped = false;
  let wake: (() => void) | null = null;
  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    let delay = MIN_POLL_MS;
    let failing = false;
    while (!stopped) {
      if (inFlight.size > settings.newBatchThreshold) {
        // Woken when one of them settles.
        await nap(settings.maxPollingIntervalMs);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const response = await queue.receiveMessages({
          numberOfMessages: settings.batchSize,
          visibilityTimeout: leaseSeconds,
        });
        messages = response.receivedMessageItems;
        if (failing) {
          failing = false;
          await options.log(`Queue ${fn.queueName}: receiving messages again`, 'info');
        }
      } catch (error) {
        if (stopped) break;
        // Once per outage in the admin log, not once per poll.
        await options.log(
          `Queue ${fn.queueName}: cannot receive messages (${describe(error)})`,
          failing ? 'info' : 'warning',
        );
        failing = true;
        messages = [];
      }
      if (messages.length === 0) {
        await nap(delay);
        delay = Math.min(delay * 2, Math.max(MIN_POLL_MS, settings.maxPollingIntervalMs));
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) {
        const run = processMessage(message, options, leaseSeconds, state).catch((error: unknown) => {
          options.log(
            `Queue ${fn.queueName}: message ${message.messageId} not settled (${describe(error)})`,
            'error',
          );
        });
        inFlight.add(run);
        void run.finally(() => {
          inFlight.delete(run);
          wake?.();
        });
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.stopGraceMs);
      });
      await Promise.race([Promise.all(inFlight), grace]);
      clearTimeout(timer);
      // Functions still running are left to their lease: their messages reappear after it.
      state.abandoned = true;
      for (const t of state.timers) clearTimeout(t);
      state.timers.clear();
    },
  };
}

/** Shared by a listener's messages: once abandoned (stop after the grace period), none is touched. */
interface ListenerState {
  abandoned: boolean;
  readonly timers: Set<NodeJS.Timeout>;
}

async function processMessage(
  message: DequeuedMessageItem,
  options: QueueListenerOptions,
  leaseSeconds: number,
  state: ListenerState,
): Promise<void> {
  const { fn, queue, config } = options;
  const settings = config.queues;
  let popReceipt = message.popReceipt;

  const decoded = decodeMessage(message.messageText, settings.messageEncoding);
  if (!decoded.ok) {
    await poison(message, popReceipt, decoded.reason, options);
    return;
  }
  if (message.dequeueCount > settings.maxDequeueCount) {
    const reason = `dequeued ${message.dequeueCount} times without completing (the host stopped while running it)`;
    await poison(message, popReceipt, reason, options);
    return;
  }

  // Keep the lease while the function runs, so no other instance takes the message meanwhile.
  const renewal: NodeJS.Timeout = setInterval(
    () => {
      queue
        .updateMessage(message.messageId, popReceipt, message.messageText, leaseSeconds)
        .then((r) => {
          if (r.popReceipt !== undefined) popReceipt = r.popReceipt;
        })
        .catch(() => undefined);
    },
    Math.max(500, (leaseSeconds * 1000) / 2),
  );
  state.timers.add(renewal);

  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    logHandler: (level, ...args) =>
      options.log(`[${fn.name}] ${args.map(String).join(' ')}`, level === 'error' ? 'error' : 'info'),
    triggerMetadata: {
      id: message.messageId,
      dequeueCount: message.dequeueCount,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
      popReceipt: message.popReceipt,
      queueTrigger: decoded.text,
    },
    options: { trigger: { type: 'queueTrigger', name: 'message' } },
  });

  let failure: unknown = null;
  let timeout: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn.handler(decoded.value, context),
      new Promise<never>((_, reject) => {
        timeout = setTimeout(
          () => reject(new Error(`timed out after ${config.functionTimeoutMs} ms`)),
          config.functionTimeoutMs,
        );
        state.timers.add(timeout);
      }),
    ]);
  } catch (error) {
    failure = error ?? new Error('failed');
  } finally {
    clearTimeout(timeout);
    clearInterval(renewal);
    if (timeout !== undefined) state.timers.delete(timeout);
    state.timers.delete(renewal);
  }
  if (state.abandoned) return;

  if (failure === null) {
    await queue.deleteMessage(message.messageId, popReceipt);
    return;
  }
  const reason = describe(failure);
  if (message.dequeueCount >= settings.maxDequeueCount) {
    await poison(message, popReceipt, `failed ${message.dequeueCount} times; last error: ${reason}`, options);
    return;
  }
  options.log(
    `[${fn.name}] failed (attempt ${message.dequeueCount} of ${settings.maxDequeueCount}), retrying: ${reason}`,
    'warning',
  );
  const visibleInSeconds = Math.ceil(settings.visibilityTimeoutMs / 1000);
  await queue.updateMessage(message.messageId, popReceipt, message.messageText, visibleInSeconds);
}

async function poison(
  message: DequeuedMessageItem,
  popReceipt: string,
  reason: string,
  options: QueueListenerOptions,
): Promise<void> {
  await options.log(
    `Queue message ${message.messageId} moved to ${options.poisonQueue.name}: ${reason}`,
    'error',
  );
  await options.poisonQueue.sendMessage(message.messageText, { messageTimeToLive: -1 });
  await options.queue.deleteMessage(message.messageId, popReceipt);
}

export type DecodedMessage =
  | { readonly ok: true; readonly text: string; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

/** base64 (when host.json says so), then JSON when it parses; otherwise the text itself. */
export function decodeMessage(messageText: string, encoding: 'base64' | 'none'): DecodedMessage {
  let text = messageText;
  if (encoding === 'base64') {
    const compact = messageText.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      return { ok: false, reason: 'the message is not base64 (host.json messageEncoding is base64)' };
    }
    text = Buffer.from(compact, 'base64').toString('utf8');
  }
  try {
    return { ok: true, text, value: JSON.parse(text) };
  } catch {
    return { ok: true, text, value: text };
  }
}

function describe(error: unknown): string {
  const text =
    error instanceof AppError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  return text.slice(0, 500);
}
