import { CalendarSyncRequests } from '../notifications/calendar-sync-requests.ts';
import { EwsWebhook } from '../notifications/ews-notifications.ts';
import { GraphWebhook } from '../notifications/graph-notifications.ts';
import type { Services } from './services.ts';

const graphWebhooks = new WeakMap<Services, GraphWebhook>();
/** One Graph webhook per process: its queue writes are group-committed (the subscription cache, shared with EWS, is a service). */
export function wireGraphWebhook(services: Services): GraphWebhook {
  let webhook = graphWebhooks.get(services);
  if (webhook === undefined) {
    webhook = new GraphWebhook({
      subscriptions: services.subscriptions,
      known: services.subscriptionCache,
      clientStates: services.clientStates,
      queues: services.queues,
      log: services.log,
      now: services.clock.now,
    });
    graphWebhooks.set(services, webhook);
  }
  return webhook;
}

const ewsWebhooks = new WeakMap<Services, EwsWebhook>();
/** One EWS receiver per process: its queue writes are group-committed, and it keeps the watermarks going out. */
export function wireEwsWebhook(services: Services): EwsWebhook {
  let webhook = ewsWebhooks.get(services);
  if (webhook === undefined) {
    webhook = new EwsWebhook({
      known: services.subscriptionCache,
      sync: new CalendarSyncRequests(services.queues, services.clock.now),
      log: services.log,
      now: services.clock.now,
    });
    ewsWebhooks.set(services, webhook);
  }
  return webhook;
}
