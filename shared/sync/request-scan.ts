import { QUEUES, type ScanMessage, type WorkQueues } from '../queues/messages.ts';

/** Start-up, the weekly schedule and "Force now" all become one scan message: one scan runs them all the same way. */
export async function requestScan(queues: WorkQueues, reason: ScanMessage['reason']): Promise<void> {
  await queues.send(QUEUES.scan, { reason } satisfies ScanMessage);
}
