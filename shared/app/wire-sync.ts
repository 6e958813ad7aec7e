import { syncDirectory } from '../phonelink/directory-sync.ts';
import { recalculatePresence } from '../presence-sync/recalculate-presence.ts';
import type { CalendarSyncDeps } from '../sync/calendar-sync.ts';
import type { MaintenanceDeps } from '../sync/maintenance.ts';
import type { ScanDeps } from '../sync/scan.ts';
import { integrationEnabled } from './integration-enabled.ts';
import type { Services } from './services.ts';
import { wireRecalculation } from './wire-presence.ts';

/** A calendar-sync job (SPEC §2): reads, stores, subscribes, and recalculates the users it changed. */
export function wireCalendarSync(services: Services): CalendarSyncDeps {
  return {
    // Made on first use: a job that reads nobody never signs in.
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
    now: services.clock.now,
    recalculate: (userId, known, notifiedAt, unconfirmedSince) =>
      recalculatePresence(
        wireRecalculation(services),
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

/** A scan (start-up, weekly, Force now): directory sync, then calendar-sync jobs. */
export function wireScan(services: Services): ScanDeps {
  return {
    get calendarSource() {
      return services.calendarSource;
    },
    syncDirectory: () =>
      syncDirectory({
        phonelink: services.phonelink,
        users: services.users,
        log: services.log,
        now: services.clock.now,
      }),
    subscriptions: services.subscriptions,
    calendars: services.calendars,
    users: services.users,
    queues: services.queues,
    log: services.log,
    health: services.health,
    integrationEnabled: () => integrationEnabled(services),
    now: services.clock.now,
  };
}

/** The hourly maintenance. */
export function wireMaintenance(services: Services): MaintenanceDeps {
  return {
    users: services.users,
    subscriptions: services.subscriptions,
    queues: services.queues,
    integrationEnabled: () => integrationEnabled(services),
    now: services.clock.now,
  };
}
