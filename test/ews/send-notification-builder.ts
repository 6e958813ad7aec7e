import { encodeWatermark } from '../../dev/exchange-sim/ews/ews-sim-push.ts';

export const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
export const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';

/** A SendNotification as Exchange sends it; `events` is the XML inside Notification after MoreEvents. */
export function aSendNotification(
  options: { subscriptionId?: string; events?: string; prolog?: string } = {},
): string {
  const events =
    options.events ?? `<t:StatusEvent><t:Watermark>${encodeWatermark(7)}</t:Watermark></t:StatusEvent>`;
  return (
    `${options.prolog ?? '<?xml version="1.0" encoding="utf-8"?>'}` +
    '<soap11:Envelope xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/">' +
    `<soap11:Header><t:RequestServerVersion xmlns:t="${T}" Version="Exchange2013"/></soap11:Header>` +
    `<soap11:Body><m:SendNotification xmlns:m="${M}"><m:ResponseMessages>` +
    '<m:SendNotificationResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' +
    `<m:Notification xmlns:t="${T}"><t:SubscriptionId>${options.subscriptionId ?? 'sub-1'}</t:SubscriptionId>` +
    `<t:PreviousWatermark>${encodeWatermark(6)}</t:PreviousWatermark><t:MoreEvents>false</t:MoreEvents>${events}` +
    '</m:Notification></m:SendNotificationResponseMessage></m:ResponseMessages></m:SendNotification></soap11:Body></soap11:Envelope>'
  );
}
