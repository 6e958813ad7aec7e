import { Cron } from 'croner';
import type { Instant } from '../presence/model.ts';

/**
 * Whether a run of the scan timer scans (SPEC §1: on start-up and once a week). Azure runs a
 * `runOnStartup` timer on every instance start, wake from idle and scale-out, so a start alone
 * proves nothing: a deployment scans when it never has, or when SCAN_SCHEDULE has come round
 * since its last scan (a weekly run missed while it slept, or this very run). A new instance of
 * a deployment that scanned lately does not. Pure: the last scan, the schedule, the instant.
 */
export function scanIsDue(lastScanAt: Instant | null, schedule: string, now: Instant): boolean {
  if (lastScanAt === null || lastScanAt > now) return true;
  const next = new Cron(schedule.trim(), { paused: true, timezone: 'Etc/UTC' }).nextRun(new Date(lastScanAt));
  return next !== null && next.getTime() <= now;
}
