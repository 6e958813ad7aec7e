import { getServices } from '../shared/app/services.ts';
import { wireScan } from '../shared/app/wire-sync.ts';
import { QUEUES } from '../shared/queues/messages.ts';
import { defineQueue } from '../shared/runtime/define-function.ts';
import { runScan } from '../shared/sync/scan.ts';

/** A scan (start-up, weekly, Force now): directory sync, then one calendar-sync job per 20 users. */
export const scanQueue = defineQueue({
  name: 'scan-queue',
  queueName: QUEUES.scan,
  handler: (message) => runScan(wireScan(getServices()), message),
});
