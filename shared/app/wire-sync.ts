import type { InvocationContext } from '@azure/functions';
import { type DirectorySyncDeps, syncDirectory } from '../phonelink/directory-sync.ts';
import { recalculateAfterSync } from '../presence-sync/recalculate-presence.ts';
import { redeliveredSince } from '../runtime/delivery-count.ts';
import { type CalendarSyncDeps, runCalendarSync } from '../sync/calendar-sync.ts';
import type { MailboxCheckDeps } from '../sync/check-mailboxes.ts';
import type { MaintenanceDeps } from '../sync/maintenance.ts';
import type { ScanDeps } from '../sync/scan.ts';
import type { ScanTimerDeps } from '../sync/scan-timer.ts';
import { integrationEnabled } from './integration-enabled.ts';
import { getServices, type Services } from './services.ts';
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
    turns: services.readTurns,
    recalculate: (handOver) => recalculateAfterSync(wireRecalculation(services), handOver),
  };
}

/** A calendar-sync job as both its queue triggers run it: the scan's jobs, and change notices'. */
export function calendarSyncJob(message: unknown, context: InvocationContext): Promise<void> {
  return runCalendarSync(wireCalendarSync(getServices()), message, redeliveredSince(context));
}

/** SPEC §4 directory sync, the scan's first step; a refused or failed read counts for the PHONE-LiNK status. */
export function wireDirectorySync(services: Services): DirectorySyncDeps {
  return {
    phonelink: services.phonelink,
    users: services.users,
    log: services.log,
    now: services.clock.now,
    health: services.phonelinkHealth,
  };
}

/** A scan (start-up, weekly, Force now): directory sync, then calendar-sync jobs. */
export function wireScan(services: Services): ScanDeps {
  return {
    get calendarSource() {
      return services.calendarSource;
    },
    syncDirectory: () => syncDirectory(wireDirectorySync(services)),
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
    presence: services.presence,
    calendars: services.calendars,
    queues: services.queues,
    poison: services.poisonQueues,
    log: services.log,
    policy: services.settings.policy,
    integrationEnabled: () => integrationEnabled(services),
    now: services.clock.now,
  };
}

export function wireScanTimer(services: Services): ScanTimerDeps {
  return {
    lastScan: services.lastScan,
    queues: services.queues,
    log: services.log,
    schedule: services.settings.scanSchedule,
    now: services.clock.now,
  };
}

/** The check of where each mailbox is served from (a hybrid organization's moves). */
export function wireMailboxCheck(services: Services): MailboxCheckDeps {
  return {
    get calendarSource() {
      return services.calendarSource;
    },
    users: services.users,
    integrationEnabled: () => integrationEnabled(services),
  };
}
