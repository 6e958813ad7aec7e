import type { Services } from '../app/services.ts';
import { GraphWebhook } from '../notifications/graph-notifications.ts';
import { syncDirectory } from '../phonelink/directory-sync.ts';
import { recalculateDeps } from '../presence-sync/presence-queue-handler.ts';
import { recalculatePresence } from '../presence-sync/recalculate-presence.ts';
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
    health: services.health,
    scanWindowDays: services.settings.scanWindowDays,
    now: Date.now,
    recalculate: (userId, known, notifiedAt, unconfirmedSince) =>
      recalculatePresence(
        recalculateDeps(services),
        {
          userId,
          reason: 'calendar-changed',
          wakeAt: null,
          attempt: 0,
          ...(notifiedAt === undefined ? {} : { notifiedAt }),
        },
        unconfirmedSince === undefined ? { known } : { known, unconfirmedSince },
      ),
  };
}

export function scanDeps(services: Services): ScanDeps {
  return {
    get calendarSource() {
      return services.calendarSource;
    },
    syncDirectory: () =>
      syncDirectory({
        phonelink: services.phonelink,
        users: services.users,
        log: services.log,
        now: Date.now,
      }),
    subscriptions: services.subscriptions,
    calendars: services.calendars,
    queues: services.queues,
    log: services.log,
    health: services.health,
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
      known: services.subscriptionCache,
      clientStates: services.clientStates,
      queues: services.queues,
      log: services.log,
      now: Date.now,
    });
    webhooks.set(services, webhook);
  }
  return webhook;
}
