import type { Services } from '../app/services.ts';
import { CalendarSyncRequests } from './calendar-sync-requests.ts';
import { EwsWebhook } from './ews-notifications.ts';

const webhooks = new WeakMap<Services, EwsWebhook>();

/** One webhook per process: it keeps the coalescing marks. */
export function ewsWebhookOf(services: Services): EwsWebhook {
  let webhook = webhooks.get(services);
  if (webhook === undefined) {
    webhook = new EwsWebhook({
      subscriptions: services.subscriptions,
      known: services.subscriptionCache,
      sync: new CalendarSyncRequests(services.queues),
      log: services.log,
      now: Date.now,
    });
    webhooks.set(services, webhook);
  }
  return webhook;
}
