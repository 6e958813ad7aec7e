import type { AdminDeps } from '../admin/admin-deps.ts';
import { requestScan } from '../sync/request-scan.ts';
import type { Services } from './services.ts';
import { servicesView } from './services-view.ts';

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
  'mailboxRoutes',
  'calendarSource',
] as const satisfies readonly (keyof Services)[];

/** The admin API's use cases (SPEC §5), over the start-up settings (they merge what the admin page changed). */
export function wireAdmin(services: Services): AdminDeps {
  return Object.assign(servicesView(services, READ_THROUGH), {
    settings: services.startup,
    adminApiKey: services.startup.adminApiKey,
    requestScan: (reason: Parameters<AdminDeps['requestScan']>[0]) => requestScan(services.queues, reason),
    now: services.clock.now,
  });
}
