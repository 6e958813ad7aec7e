import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import { GraphWebhook } from '../notifications/graph-notifications.ts';
import { syncDirectory } from '../phonelink/directory-sync.ts';
import { createPhonelinkClient, type PhonelinkClient } from '../phonelink/phonelink-client.ts';
import type { CalendarSyncDeps } from './calendar-sync.ts';
import type { MaintenanceDeps } from './maintenance.ts';
import type { ScanDeps } from './scan.ts';

/** The use cases of this folder, wired to the process's services (the entry points call these). */

/** INTEGRATION_ENABLED as it is now: the admin API may have changed it since start-up. */
async function integrationEnabled(services: Services): Promise<boolean> {
  const value = (await services.runtimeSettings.get()).INTEGRATION_ENABLED;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return services.settings.integrationEnabled;
}

const phonelinkClients = new WeakMap<Services, PhonelinkClient>();
function phonelinkOf(services: Services): PhonelinkClient {
  let client = phonelinkClients.get(services);
  if (client === undefined) {
    const { url, apiKey } = services.settings.phonelink;
    if (url === null || apiKey === null) {
      throw new AppError(
        'config.invalid',
        'PHONELINK_URL and PHONELINK_API_KEY are needed to read the directory',
      );
    }
    client = createPhonelinkClient({ baseUrl: url, apiKey });
    phonelinkClients.set(services, client);
  }
  return client;
}

export function calendarSyncDeps(services: Services): CalendarSyncDeps {
  return {
    get calendarSource() {
      return services.calendarSource;
    },
    users: services.users,
    calendars: services.calendars,
    subscriptions: services.subscriptions,
    queues: services.queues,
    log: services.log,
    scanWindowDays: services.settings.scanWindowDays,
    now: Date.now,
  };
}

export function scanDeps(services: Services): ScanDeps {
  return {
    get calendarSource() {
      return services.calendarSource;
    },
    syncDirectory: () =>
      syncDirectory({
        phonelink: phonelinkOf(services),
        users: services.users,
        log: services.log,
        now: Date.now,
      }),
    subscriptions: services.subscriptions,
    calendars: services.calendars,
    queues: services.queues,
    log: services.log,
    integrationEnabled: () => integrationEnabled(services),
    now: Date.now,
  };
}

export function maintenanceDeps(services: Services): MaintenanceDeps {
  return {
    users: services.users,
    subscriptions: services.subscriptions,
    queues: services.queues,
    integrationEnabled: () => integrationEnabled(services),
    now: Date.now,
  };
}

const webhooks = new WeakMap<Services, GraphWebhook>();
/** One webhook per process: it keeps the subscription cache and the coalescing marks. */
export function graphWebhookOf(services: Services): GraphWebhook {
  let webhook = webhooks.get(services);
  if (webhook === undefined) {
    webhook = new GraphWebhook({
      subscriptions: services.subscriptions,
      queues: services.queues,
      log: services.log,
      now: Date.now,
    });
    webhooks.set(services, webhook);
  }
  return webhook;
}
