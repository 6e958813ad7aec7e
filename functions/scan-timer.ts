import { getServices } from '../shared/app/services.ts';
import { defineTimer } from '../shared/runtime/define-function.ts';
import { requestScan } from '../shared/sync/request-scan.ts';

let started = false;

/** Start-up (runOnStartup) and the weekly SCAN_SCHEDULE: both queue a scan, which scan-queue runs. */
export const scanTimer = defineTimer({
  name: 'scan-timer',
  schedule: '%SCAN_SCHEDULE%',
  runOnStartup: true,
  handler: async () => {
    const reason = started ? 'weekly' : 'startup';
    started = true;
    await requestScan(getServices().queues, reason);
  },
});
