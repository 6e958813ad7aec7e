import type { Services } from '../app/services.ts';
import { servicesView } from '../app/services-view.ts';
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

/** The services the admin use cases read, each looked up when used. */
const READ_THROUGH = [
  'runtimeSettings',
  'secretVault',
  'log',
  'logReader',
  'users',
  'calendars',
  'presence',
  'subscriptions',
  'health',
] as const satisfies readonly (keyof Services)[];

/** The admin view of the process's services. */
export function adminServicesOf(services: Services, startup: Settings = services.settings): AdminServices {
  return Object.assign(servicesView(services, READ_THROUGH), {
    settings: startup,
    adminApiKey: startup.adminApiKey,
    requestScan: (reason: Parameters<AdminServices['requestScan']>[0]) =>
      requestScan(services.queues, reason),
    now: Date.now,
  });
}
