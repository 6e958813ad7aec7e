import { getServices } from '../shared/app/services.ts';
import { wireMaintenance } from '../shared/app/wire-sync.ts';
import { defineTimer } from '../shared/runtime/define-function.ts';
import { MAINTENANCE_SCHEDULE, runMaintenance } from '../shared/sync/maintenance.ts';

/** Hourly: refresh out-of-office (Exchange does not notify it), re-read day-old calendars, renew subscriptions. */
export const maintenanceTimer = defineTimer({
  name: 'maintenance-timer',
  schedule: MAINTENANCE_SCHEDULE,
  runOnStartup: false,
  handler: () => runMaintenance(wireMaintenance(getServices())),
});
