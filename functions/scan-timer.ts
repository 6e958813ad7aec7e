import { getServices } from '../shared/app/services.ts';
import { wireScanTimer } from '../shared/app/wire-sync.ts';
import { defineTimer } from '../shared/runtime/define-function.ts';
import { runScanTimer } from '../shared/sync/scan-timer.ts';

let started = false;

/**
 * Start-up and the weekly SCAN_SCHEDULE queue a scan, which scan-queue runs. runOnStartup fires
 * on every instance start, wake from idle and scale-out: the use case scans once per deployment.
 */
export const scanTimer = defineTimer({
  name: 'scan-timer',
  schedule: '%SCAN_SCHEDULE%',
  runOnStartup: true,
  handler: async () => {
    const trigger = started ? 'weekly' : 'startup';
    started = true;
    await runScanTimer(wireScanTimer(getServices()), trigger);
  },
});
