import type { Services } from '../app/services.ts';
import type { Secret } from '../config/secret.ts';
import type { Settings } from '../config/settings.ts';
import type { AdminLogReader } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type {
  CalendarStore,
  HealthStore,
  PresenceStore,
  SubscriptionStore,
  UserStore,
} from '../storage/stores.ts';
import { requestScan } from '../sync/request-scan.ts';
import type { SettingsDeps } from './admin-settings.ts';

/** What the admin use cases need; the composition root (shared/app/services.ts) provides it. */
export interface AdminServices extends SettingsDeps {
  /** The start-up ADMIN_API_KEY (not writable at run time). */
  readonly adminApiKey: Secret | null;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly presence: PresenceStore;
  readonly subscriptions: SubscriptionStore;
  readonly logReader: AdminLogReader;
  readonly health: HealthStore;
  readonly now: () => Instant;
}

/** The admin view of the process's services. */
export function adminServicesOf(services: Services, startup: Settings = services.settings): AdminServices {
  return {
    settings: startup,
    adminApiKey: startup.adminApiKey,
    get runtimeSettings() {
      return services.runtimeSettings;
    },
    get secretVault() {
      return services.secretVault;
    },
    get log() {
      return services.log;
    },
    get logReader() {
      return services.logReader;
    },
    get users() {
      return services.users;
    },
    get calendars() {
      return services.calendars;
    },
    get presence() {
      return services.presence;
    },
    get subscriptions() {
      return services.subscriptions;
    },
    get health() {
      return services.health;
    },
    requestScan: (reason) => requestScan(services.queues, reason),
    now: Date.now,
  };
}
