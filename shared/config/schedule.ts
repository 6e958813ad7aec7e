import { Cron } from 'croner';

const HOUR_MS = 3_600_000;
/** The start of an hour: the first two runs after it share that hour exactly when the schedule fires more than once an hour. */
const PROBE_FROM = new Date(Date.UTC(2026, 0, 5) - 1);

/**
 * SCAN_SCHEDULE: NCRONTAB with six fields, seconds first, in UTC (as Azure Functions timers take
 * it), parsed by the cron library the local host runs timers with. A scan reads every calendar,
 * so one more often than hourly is refused. Null when the schedule is fine.
 */
export function scheduleProblem(value: string): string | null {
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 6) return 'must be an NCRONTAB expression with six fields (seconds first)';
  let runs: Date[];
  try {
    runs = new Cron(fields.join(' '), { paused: true, timezone: 'Etc/UTC' }).nextRuns(2, PROBE_FROM);
  } catch {
    return 'must be an NCRONTAB expression with six fields (seconds first)';
  }
  const [first, second] = runs;
  if (first === undefined) return 'never runs';
  if (second !== undefined && second.getTime() - first.getTime() < HOUR_MS) {
    return 'must not run more often than once an hour';
  }
  return null;
}
