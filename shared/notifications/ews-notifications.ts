import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import { readBodyText } from '../runtime/request-body.ts';
import type { CalendarSyncRequests } from './calendar-sync-requests.ts';
import {
  MAX_NOTIFICATION_BYTES,
  readSendNotification,
  sendNotificationResult,
} from './ews-send-notification.ts';
import { refuse, refused, type WebhookAnswer, type WebhookRequest } from './graph-webhook-http.ts';
import type { SubscriptionCache } from './subscription-cache.ts';

export interface EwsWebhookDeps {
  /** The subscriptions notices name, shared with the Graph webhook. */
  readonly known: SubscriptionCache;
  readonly sync: CalendarSyncRequests;
  readonly log: AdminLog;
  readonly now: () => Instant;
}

const SOAP = { 'Content-Type': 'text/xml; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
const UNSUBSCRIBED_LOG_EVERY_MS = 60_000;

/**
 * SPEC §5's EWS push receiver (POST /api/notifications/ews). Exchange waits for the answer
 * before it sends the next notification of a subscription, and the answer is the only way to
 * stop it: OK for a subscription we hold (after its changes are queued), Unsubscribe for any
 * other. Nothing here proves a subscription alive (calendar/ews/ews-liveness.ts): a status ping
 * writes nothing, and an event's watermark travels with its calendar-sync job, kept once the
 * read has succeeded (ews-event-watermarks.ts). Exchange is never called from here.
 */
export class EwsWebhook {
  readonly #deps: EwsWebhookDeps;
  #unsubscribed = 0;
  #unsubscribedLoggedAt = 0;

  constructor(deps: EwsWebhookDeps) {
    this.#deps = deps;
  }

  async notifications(request: WebhookRequest): Promise<WebhookAnswer> {
    const body = await readBodyText(request, MAX_NOTIFICATION_BYTES);
    if (!body.ok) return refused(body.error);
    const notification = readSendNotification(body.value);
    if (!notification.ok) return refuse(notification.error.status, notification.error.reason);
    const { subscriptionId, changes, watermark } = notification.value;
    const now = this.#deps.now();
    try {
      const subscription = await this.#deps.known.get(subscriptionId, 'ews');
      if (subscription === null) {
        await this.#noteUnsubscribed(now);
        return soap('Unsubscribe');
      }
      if (changes === 0) return soap('OK');
      const proof =
        watermark === null ? undefined : { userId: subscription.userId, subscriptionId, watermark };
      if (!(await this.#deps.sync.request([subscription.userId], 'notification', proof))) {
        return refuse(503, 'could not queue the notification, try again');
      }
      return soap('OK');
    } catch {
      // Storage is down: Exchange retries a notification that was not acknowledged.
      return refuse(503, 'could not record the notification, try again');
    }
  }

  /** Exchange retries an unknown subscription only until it hears Unsubscribe: a count once a minute is enough. */
  async #noteUnsubscribed(now: Instant): Promise<void> {
    this.#unsubscribed += 1;
    if (now - this.#unsubscribedLoggedAt < UNSUBSCRIBED_LOG_EVERY_MS) return;
    this.#unsubscribedLoggedAt = now;
    const count = this.#unsubscribed;
    this.#unsubscribed = 0;
    // The answer matters more than the log line: a log outage must not keep an unknown subscription alive.
    await this.#deps.log
      .write(`Told Exchange to end ${count} EWS subscription(s) this service does not hold`)
      .catch(() => undefined);
  }
}

function soap(status: 'OK' | 'Unsubscribe'): WebhookAnswer {
  return { status: 200, headers: SOAP, body: sendNotificationResult(status) };
}
