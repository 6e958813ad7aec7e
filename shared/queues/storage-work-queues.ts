import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { storageError } from '../storage/storage-error.ts';
import {
  MAX_QUEUE_DELAY_SECONDS,
  type PoisonQueues,
  poisonQueueOf,
  QUEUES,
  type QueueName,
  type WorkQueues,
} from './messages.ts';

/**
 * Work queues over Azure Storage queues. Messages are JSON, then base64 (host.json
 * `messageEncoding: base64`, what the Functions queue trigger expects). Queues are created once
 * per process, on first use. Messages never expire (TTL -1): a transition scheduled 7 days ahead
 * must not vanish the moment it becomes visible.
 */
export class StorageWorkQueues implements WorkQueues, PoisonQueues {
  readonly #service: QueueServiceClient;
  readonly #ready = new Map<string, Promise<QueueClient>>();

  constructor(service: QueueServiceClient) {
    this.#service = service;
  }

  async send(queue: (typeof QUEUES)[keyof typeof QUEUES], message: unknown, delaySeconds = 0): Promise<void> {
    const client = await this.queue(queue);
    try {
      await client.sendMessage(encodeMessage(message), {
        visibilityTimeout: clampDelay(delaySeconds),
        messageTimeToLive: -1,
      });
    } catch (error) {
      throw storageError(`send to queue ${queue}`, error);
    }
  }

  async rerun(queue: QueueName, max: number): Promise<readonly unknown[]> {
    const [poison, target] = await Promise.all([this.queue(poisonQueueOf(queue)), this.queue(queue)]);
    const rerun: unknown[] = [];
    try {
      while (rerun.length < max) {
        const { receivedMessageItems } = await poison.receiveMessages({
          numberOfMessages: Math.min(32, max - rerun.length),
          visibilityTimeout: 60,
        });
        if (receivedMessageItems.length === 0) break;
        for (const item of receivedMessageItems) {
          // Sent on as it is (already in the trigger's encoding), then removed: a crash in between re-runs it twice, never not.
          await target.sendMessage(item.messageText, { messageTimeToLive: -1 });
          await poison.deleteMessage(item.messageId, item.popReceipt);
          rerun.push(decodeMessage(item.messageText));
        }
      }
    } catch (error) {
      throw storageError(`re-run queue ${poisonQueueOf(queue)}`, error);
    }
    return rerun;
  }

  /** The queue's client, once the queue exists. */
  queue(name: string): Promise<QueueClient> {
    let ready = this.#ready.get(name);
    if (ready === undefined) {
      const client = this.#service.getQueueClient(name);
      ready = client.createIfNotExists().then(
        () => client,
        (error: unknown) => {
          this.#ready.delete(name);
          throw storageError(`create queue ${name}`, error);
        },
      );
      this.#ready.set(name, ready);
    }
    return ready;
  }

  /** Creates every queue of the app (and its poison queue) now rather than on first use. */
  async createAll(): Promise<void> {
    await Promise.all(
      Object.values(QUEUES).flatMap((name) => [this.queue(name), this.queue(poisonQueueOf(name))]),
    );
  }
}

export function encodeMessage(message: unknown): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/** A message as sent (encodeMessage), or its text when it is not that. */
export function decodeMessage(text: string): unknown {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(decoded);
  } catch {
    return text;
  }
}

/** Whole seconds from 0 to 7 days. */
export function clampDelay(delaySeconds: number): number {
  if (!Number.isFinite(delaySeconds) || delaySeconds <= 0) return 0;
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil(delaySeconds));
}
