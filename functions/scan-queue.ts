import { getServices } from '../shared/app/services.ts';
import { QUEUES } from '../shared/queues/messages.ts';
import { defineQueue } from '../shared/runtime/define-function.ts';
import { runScan } from '../shared/sync/scan.ts';
import { scanDeps } from '../shared/sync/sync-services.ts';

/** A scan (start-up, weekly, Force now): directory sync, then one calendar-sync job per 20 users. */
export const scanQueue = defineQueue({
  name: 'scan-queue',
  queueName: QUEUES.scan,
  handler: (message) => runScan(scanDeps(getServices()), message),
});
