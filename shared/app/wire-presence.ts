import type { OverrideDeps } from '../presence-sync/override-http.ts';
import type { PresenceQueueDeps } from '../presence-sync/presence-queue-handler.ts';
import type { RecalculatePresenceDeps } from '../presence-sync/recalculate-presence.ts';
import { GroupedWakeUps } from '../presence-sync/wake-ups.ts';
import type { WorkQueues } from '../queues/messages.ts';
import { integrationEnabled } from './integration-enabled.ts';
import type { Services } from './services.ts';

/** The presence recalculation (SPEC §2, §4): what the presence worker and calendar sync run per user. */
export function wireRecalculation(services: Services): RecalculatePresenceDeps {
  return {
    users: services.users,
    calendars: services.calendars,
    presence: services.presence,
    phonelink: services.phonelink,
    queues: services.queues,
    log: services.log,
    health: services.phonelinkHealth,
    policy: services.settings.policy,
    integrationEnabled: () => integrationEnabled(services),
    now: services.clock.now,
    sleep: services.clock.sleep,
    wakeUps: wakeUpsOf(services),
  };
}

/** The presence queue trigger's use case. */
export function wirePresenceQueue(services: Services): PresenceQueueDeps {
  return { recalculation: wireRecalculation(services), queues: services.queues, log: services.log };
}

/** SPEC §5 override route. */
export function wireOverride(services: Services): OverrideDeps {
  return {
    users: services.users,
    calendars: services.calendars,
    presence: services.presence,
    queues: services.queues,
    log: services.log,
    policy: services.settings.policy,
    now: services.clock.now,
    webhookSecret: services.settings.phonelink.webhookSecret,
  };
}

const wakeUps = new WeakMap<WorkQueues, GroupedWakeUps>();
/** One per process (per queue client): users scheduled at about the same time share messages. */
function wakeUpsOf(services: Services): GroupedWakeUps {
  let found = wakeUps.get(services.queues);
  if (found === undefined) {
    found = new GroupedWakeUps(services.queues, services.clock.now);
    wakeUps.set(services.queues, found);
  }
  return found;
}
