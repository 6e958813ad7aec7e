import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { escapeXml, parseXml } from '../../../shared/xml/safe-xml.ts';
import { NS } from '../../../shared/xml/xml-schemas.ts';
import { keepAliveAgents } from '../keep-alive-agents.ts';
import type { MailboxChange, Mailboxes, SimUser } from '../mailboxes.ts';
import { servedOn } from '../organization-split.ts';

/**
 * EWS push notifications as Exchange sends them: calendar changes of a subscribed mailbox go to
 * the subscription's URL as SendNotification; when nothing happened for StatusFrequency minutes
 * a StatusEvent says the subscription is alive. A POST that fails is retried at doubling
 * intervals; when the callback has not answered for StatusFrequency, Exchange gives up and the
 * subscription is gone. An answer of Unsubscribe ends it at once.
 */

export interface PushOptions {
  /** How long a "minute" of StatusFrequency is (tests shorten it). Default 60,000 ms. */
  readonly minuteMs?: number;
  /** The first retry delay; each later one doubles. Default 30,000 ms (scaled with minuteMs / 60,000). */
  readonly retryBaseMs?: number;
  /** Most events in one notification (MoreEvents says when more follow). Default 50. */
  readonly maxEventsPerNotification?: number;
  readonly timeoutMs?: number;
}

export interface PushDelivery {
  readonly subscriptionId: string;
  readonly kind: 'status' | 'events';
  readonly events: readonly string[];
  /** The receiver's HTTP status, or null when it did not answer. */
  readonly status: number | null;
  /** SubscriptionStatus of the answer, or null when it had none. */
  readonly answer: 'OK' | 'Unsubscribe' | null;
  readonly at: number;
}

export interface SubscribeInput {
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly statusFrequencyMinutes: number;
  /** Resume after this watermark (events since then are sent again). */
  readonly watermark: string | null;
}

interface PendingEvent {
  readonly type: string;
  readonly sequence: number;
  readonly at: number;
  readonly itemId: string;
}

interface Subscription {
  readonly id: string;
  readonly userId: string;
  readonly url: URL;
  readonly eventTypes: ReadonlySet<string>;
  readonly frequencyMs: number;
  /** The watermark of the last event or status Exchange sent and had acknowledged. */
  watermark: number;
  readonly pending: PendingEvent[];
  sending: boolean;
  lastSentAt: number;
  failingSince: number | null;
  failures: number;
  retry: NodeJS.Timeout | null;
  readonly status: NodeJS.Timeout;
}

const CALENDAR_FOLDER_ID = 'AAMkAGI2calendarFolder';
const DELETED_ITEMS_FOLDER_ID = 'AAMkAGI2deletedItemsFolder';
const WATERMARK_PREFIX = 'sim-watermark:';

const sendNotificationResult = z.object({
  Envelope: z.object({
    Body: z.object({
      SendNotificationResult: z.object({ SubscriptionStatus: z.enum(['OK', 'Unsubscribe']) }),
    }),
  }),
});

export class EwsPush {
  readonly #mailboxes: Mailboxes;
  readonly #minuteMs: number;
  readonly #retryBaseMs: number;
  readonly #maxEvents: number;
  readonly #timeoutMs: number;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #deliveries: PushDelivery[] = [];
  readonly #agents = keepAliveAgents();
  readonly #stopListening: () => void;
  #closed = false;

  constructor(mailboxes: Mailboxes, options: PushOptions = {}) {
    this.#mailboxes = mailboxes;
    this.#minuteMs = options.minuteMs ?? 60_000;
    this.#retryBaseMs = options.retryBaseMs ?? this.#minuteMs / 2;
    this.#maxEvents = options.maxEventsPerNotification ?? 50;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#stopListening = mailboxes.onChange((change) => this.#onChange(change));
  }

  /** Every POST so far, oldest first. */
  get deliveries(): readonly PushDelivery[] {
    return this.#deliveries;
  }

  /** Ids of the subscriptions still alive. */
  subscriptionIds(): readonly string[] {
    return [...this.#subscriptions.keys()];
  }

  /** A push subscription on `user`'s calendar; null when the watermark is not one this server gave. */
  subscribe(
    user: SimUser,
    input: SubscribeInput,
  ): { readonly id: string; readonly watermark: string } | null {
    let resumeAfter = this.#mailboxes.lastSequence();
    if (input.watermark !== null) {
      const sequence = decodeWatermark(input.watermark);
      if (sequence === null || sequence > resumeAfter) return null;
      resumeAfter = sequence;
    }
    const id = randomBytes(30).toString('base64');
    const frequencyMs = input.statusFrequencyMinutes * this.#minuteMs;
    const subscription: Subscription = {
      id,
      userId: user.id,
      url: new URL(input.url),
      eventTypes: new Set(input.eventTypes),
      frequencyMs,
      watermark: resumeAfter,
      pending: [],
      sending: false,
      lastSentAt: Date.now(),
      failingSince: null,
      failures: 0,
      retry: null,
      // Unreferenced: a simulator left running never keeps a test process alive.
      status: setInterval(() => this.#statusDue(subscription), Math.max(10, frequencyMs / 4)).unref(),
    };
    this.#subscriptions.set(id, subscription);
    for (const change of this.#mailboxes.changesSince(user.id, resumeAfter))
      this.#queue(subscription, change);
    if (subscription.pending.length > 0) setImmediate(() => void this.#send(subscription));
    return { id, watermark: encodeWatermark(resumeAfter) };
  }

  close(): void {
    this.#closed = true;
    this.#stopListening();
    for (const subscription of this.#subscriptions.values()) this.#drop(subscription);
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #onChange(change: MailboxChange): void {
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.userId !== change.userId) continue;
      // A mailbox moved to Exchange Online: this server no longer sees its changes.
      const user = this.#mailboxes.findUser(change.userId);
      if (user === undefined || !servedOn(this.#mailboxes, user, 'exchangeServer')) continue;
      this.#queue(subscription, change);
      void this.#send(subscription);
    }
  }

  #queue(subscription: Subscription, change: MailboxChange): void {
    const type =
      change.kind === 'created'
        ? 'CreatedEvent'
        : change.kind === 'updated'
          ? 'ModifiedEvent'
          : change.kind === 'deleted' && change.movedToDeletedItems
            ? 'MovedEvent'
            : 'DeletedEvent';
    if (!subscription.eventTypes.has(type)) return;
    subscription.pending.push({ type, sequence: change.sequence, at: change.at, itemId: change.eventId });
  }

  #statusDue(subscription: Subscription): void {
    if (subscription.sending || subscription.retry !== null) return;
    if (Date.now() - subscription.lastSentAt >= subscription.frequencyMs) void this.#send(subscription);
  }

  async #send(subscription: Subscription): Promise<void> {
    if (this.#closed || subscription.sending || subscription.retry !== null) return;
    if (!this.#subscriptions.has(subscription.id)) return;
    subscription.sending = true;
    const events = subscription.pending.slice(0, this.#maxEvents);
    const more = subscription.pending.length > events.length;
    const body = this.#notification(subscription, events, more);
    const result = await this.#post(subscription.url, body);
    subscription.sending = false;
    this.#deliveries.push({
      subscriptionId: subscription.id,
      kind: events.length === 0 ? 'status' : 'events',
      events: events.map((e) => e.type),
      status: result.status,
      answer: result.answer,
      at: Date.now(),
    });
    if (this.#closed) return;
    if (result.answer === 'Unsubscribe') {
      this.#drop(subscription);
      return;
    }
    if (result.status === 200 && result.answer === 'OK') {
      subscription.pending.splice(0, events.length);
      const last = events.at(-1);
      if (last !== undefined) subscription.watermark = last.sequence;
      subscription.lastSentAt = Date.now();
      subscription.failingSince = null;
      subscription.failures = 0;
      if (subscription.pending.length > 0) void this.#send(subscription);
      return;
    }
    // Failed: retry after 30 s, then at doubling intervals; a retry that would fall after
    // StatusFrequency is not sent, and the subscription is gone.
    const now = Date.now();
    subscription.failingSince ??= now;
    const delay = this.#retryBaseMs * 2 ** subscription.failures;
    if (now + delay - subscription.failingSince > subscription.frequencyMs) {
      this.#drop(subscription);
      return;
    }
    subscription.failures += 1;
    subscription.retry = setTimeout(() => {
      subscription.retry = null;
      void this.#send(subscription);
    }, delay).unref();
  }

  #drop(subscription: Subscription): void {
    clearInterval(subscription.status);
    if (subscription.retry !== null) clearTimeout(subscription.retry);
    subscription.retry = null;
    this.#subscriptions.delete(subscription.id);
  }

  #notification(subscription: Subscription, events: readonly PendingEvent[], more: boolean): string {
    const watermark = (sequence: number) => `<t:Watermark>${encodeWatermark(sequence)}</t:Watermark>`;
    const current =
      events.at(-1)?.sequence ?? Math.max(subscription.watermark, this.#mailboxes.lastSequence());
    const body =
      events.length === 0
        ? `<t:StatusEvent>${watermark(current)}</t:StatusEvent>`
        : events.map((event) => eventXml(event, watermark(event.sequence))).join('');
    return (
      '<?xml version="1.0" encoding="utf-8"?>' +
      `<soap11:Envelope xmlns:soap11="${NS.soap}">` +
      `<soap11:Header><t:RequestServerVersion xmlns:t="${NS.types}" Version="Exchange2013"/></soap11:Header>` +
      `<soap11:Body><m:SendNotification xmlns:m="${NS.messages}"><m:ResponseMessages>` +
      '<m:SendNotificationResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' +
      `<m:Notification xmlns:t="${NS.types}">` +
      `<t:SubscriptionId>${escapeXml(subscription.id)}</t:SubscriptionId>` +
      `<t:PreviousWatermark>${encodeWatermark(subscription.watermark)}</t:PreviousWatermark>` +
      `<t:MoreEvents>${more}</t:MoreEvents>${body}</m:Notification>` +
      '</m:SendNotificationResponseMessage></m:ResponseMessages></m:SendNotification></soap11:Body></soap11:Envelope>'
    );
  }

  #post(url: URL, body: string): Promise<{ status: number | null; answer: 'OK' | 'Unsubscribe' | null }> {
    const secure = url.protocol === 'https:';
    const request = secure ? https.request : http.request;
    const payload = Buffer.from(body, 'utf8');
    return new Promise((resolve) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: secure ? this.#agents.https : this.#agents.http,
          headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': String(payload.length) },
          timeout: this.#timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const tree = parseXml(Buffer.concat(chunks).toString('utf8'), 1024 * 1024);
            const parsed = tree.ok ? sendNotificationResult.safeParse(tree.value) : null;
            resolve({
              status: res.statusCode ?? null,
              answer: parsed?.success
                ? parsed.data.Envelope.Body.SendNotificationResult.SubscriptionStatus
                : null,
            });
          });
          res.on('error', () => resolve({ status: res.statusCode ?? null, answer: null }));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve({ status: null, answer: null }));
      req.end(payload);
    });
  }
}

function eventXml(event: PendingEvent, watermark: string): string {
  const time = `<t:TimeStamp>${new Date(event.at).toISOString().slice(0, 19)}Z</t:TimeStamp>`;
  const item = `<t:ItemId Id="${escapeXml(event.itemId)}" ChangeKey="DwAAAA=="/>`;
  if (event.type === 'MovedEvent' || event.type === 'CopiedEvent') {
    return (
      `<t:${event.type}>${watermark}${time}${item}<t:ParentFolderId Id="${DELETED_ITEMS_FOLDER_ID}" ChangeKey="AQAAAA=="/>` +
      `<t:OldItemId Id="${escapeXml(event.itemId)}" ChangeKey="DwAAAA=="/>` +
      `<t:OldParentFolderId Id="${CALENDAR_FOLDER_ID}" ChangeKey="AQAAAA=="/></t:${event.type}>`
    );
  }
  return `<t:${event.type}>${watermark}${time}${item}<t:ParentFolderId Id="${CALENDAR_FOLDER_ID}" ChangeKey="AQAAAA=="/></t:${event.type}>`;
}

export function encodeWatermark(sequence: number): string {
  return Buffer.from(`${WATERMARK_PREFIX}${sequence}`).toString('base64');
}

function decodeWatermark(watermark: string): number | null {
  const text = Buffer.from(watermark, 'base64').toString('utf8');
  if (!text.startsWith(WATERMARK_PREFIX)) return null;
  const sequence = Number(text.slice(WATERMARK_PREFIX.length));
  return Number.isSafeInteger(sequence) && sequence >= 0 ? sequence : null;
}
