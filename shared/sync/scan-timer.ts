import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type { ScanMessage, WorkQueues } from '../queues/messages.ts';
import type { LastScanStore } from '../storage/stores.ts';
import { requestScan } from './request-scan.ts';
import { scanIsDue } from './scan-due.ts';

export interface ScanTimerDeps {
  readonly lastScan: LastScanStore;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  /** SCAN_SCHEDULE. */
  readonly schedule: string;
  readonly now: () => Instant;
}

/**
 * A run of the scan timer, at an instance's start or on SCAN_SCHEDULE: one scan per deployment
 * (scan-due.ts), claimed in storage so that instances starting together queue it once.
 */
export async function runScanTimer(
  deps: ScanTimerDeps,
  trigger: Extract<ScanMessage['reason'], 'startup' | 'weekly'>,
): Promise<'scan' | 'scanned-lately'> {
  const seen = await deps.lastScan.read();
  const now = deps.now();
  if (!scanIsDue(seen.at, deps.schedule, now) || !(await deps.lastScan.claim(now, seen))) {
    if (trigger === 'startup') await deps.log.write('Start-up: the deployment scanned lately, no scan now');
    return 'scanned-lately';
  }
  try {
    await requestScan(deps.queues, trigger);
  } catch (error) {
    // Not queued: the next start or schedule run must not find it done.
    await deps.lastScan.release(seen).catch(() => undefined);
    throw error;
  }
  return 'scan';
}
