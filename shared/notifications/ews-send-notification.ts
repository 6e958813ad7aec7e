import { z } from 'zod';
import { fail, ok, type Result } from '../errors.ts';
import { externalId } from '../runtime/external-id.ts';
import { parseXml } from '../xml/safe-xml.ts';
import { NS, oneOrMany, xmlText } from '../xml/xml-schemas.ts';

/**
 * Exchange's push notification (the SendNotification SOAP request) and our answer to it.
 * Parsed with the safe XML reader: a DOCTYPE, an entity or an oversized body never gets past it.
 */

/** A notification carries up to a few hundred events (MoreEvents splits larger bursts). */
export const MAX_NOTIFICATION_BYTES = 256 * 1024;

const event = z.object({ Watermark: xmlText.optional(), TimeStamp: xmlText.optional() });
const events = oneOrMany(z.union([event, z.literal('')])).optional();

const notification = z.object({
  SubscriptionId: xmlText.pipe(externalId.max(512)),
  PreviousWatermark: xmlText.optional(),
  MoreEvents: xmlText.optional(),
  StatusEvent: events,
  CopiedEvent: events,
  CreatedEvent: events,
  DeletedEvent: events,
  ModifiedEvent: events,
  MovedEvent: events,
  NewMailEvent: events,
  FreeBusyChangedEvent: events,
});

const sendNotification = z.object({
  Envelope: z.object({
    Body: z.object({
      SendNotification: z.object({
        ResponseMessages: z.object({
          SendNotificationResponseMessage: oneOrMany(z.object({ Notification: notification })),
        }),
      }),
    }),
  }),
});

export interface EwsNotification {
  readonly subscriptionId: string;
  /** Created, modified, deleted, moved or copied items: the calendar needs reading. */
  readonly changes: number;
  /** The newest watermark the notification carries (to resume from after an outage), or null. */
  readonly watermark: string | null;
}

/** Reads a SendNotification body; a reason when it is none (or hostile). */
export function readSendNotification(
  xml: string,
): Result<EwsNotification, { status: 400 | 413; reason: string }> {
  const tree = parseXml(xml, MAX_NOTIFICATION_BYTES);
  if (!tree.ok) {
    return fail({ status: tree.error.code === 'input.too_large' ? 413 : 400, reason: tree.error.message });
  }
  const parsed = sendNotification.safeParse(tree.value);
  if (!parsed.success) return fail({ status: 400, reason: 'not an EWS SendNotification' });
  const notifications =
    parsed.data.Envelope.Body.SendNotification.ResponseMessages.SendNotificationResponseMessage.map(
      (message) => message.Notification,
    );
  const ids = new Set(notifications.map((n) => n.SubscriptionId));
  const [subscriptionId] = ids;
  if (subscriptionId === undefined || ids.size !== 1) {
    return fail({ status: 400, reason: 'a SendNotification names exactly one subscription' });
  }
  let changes = 0;
  // Element order across kinds is lost in the tree; the latest TimeStamp marks the newest watermark.
  let newest: { watermark: string; at: number } | null = null;
  for (const n of notifications) {
    const changed = [
      n.CopiedEvent,
      n.CreatedEvent,
      n.DeletedEvent,
      n.ModifiedEvent,
      n.MovedEvent,
      n.NewMailEvent,
      n.FreeBusyChangedEvent,
    ].flatMap((list) => list ?? []);
    changes += changed.length;
    for (const e of [...(n.StatusEvent ?? []), ...changed]) {
      if (e === '' || e.Watermark === undefined) continue;
      const at = e.TimeStamp === undefined ? 0 : Date.parse(e.TimeStamp) || 0;
      if (newest === null || at >= newest.at) newest = { watermark: e.Watermark, at };
    }
  }
  return ok({ subscriptionId, changes, watermark: newest?.watermark ?? null });
}

/** Our answer: keep sending (OK), or drop this subscription (Unsubscribe). */
export function sendNotificationResult(status: 'OK' | 'Unsubscribe'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>` +
    `<SendNotificationResult xmlns="${NS.messages}"><SubscriptionStatus>${status}</SubscriptionStatus></SendNotificationResult>` +
    '</soap:Body></soap:Envelope>'
  );
}
