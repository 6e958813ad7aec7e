import { randomUUID } from 'node:crypto';
import type { Timer } from '@azure/functions';
import { Cron } from 'croner';
import type { TimerFunction } from '../../shared/runtime/define-function.ts';
import { InvocationContext } from './azure-functions.ts';
import { parseTimeSpan } from './host-json.ts';

/** setTimeout holds at most ~24.8 days; longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface TimerScheduler {
  /** Cancels future runs and waits for those under way. */
  stop(): Promise<void>;
}

/**
 * Runs timer triggers: NCRONTAB with six fields (seconds first, UTC, as Azure does without
 * WEBSITE_TIME_ZONE), or a TimeSpan `hh:mm:ss` interval; `%NAME%` reads the schedule from a
 * setting. `runOnStartup` runs once at every start, as Azure runs it at every instance start,
 * wake from idle and scale-out: a function that must run once per deployment decides that
 * itself (the scan timer keeps its last scan in storage). A run never overlaps the previous one.
 */
export function startTimers(options: {
  readonly functions: readonly TimerFunction[];
  readonly resolveSetting: (name: string) => string | undefined;
  readonly log: (line: string) => void;
}): TimerScheduler {
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  for (const fn of options.functions) {
    const schedule = resolveSchedule(fn.schedule, options.resolveSetting);
    const next = nextRunFunction(schedule);
    let last: Date | null = null;

    const invoke = (isPastDue: boolean): Promise<void> => {
      const now = new Date();
      const upcoming = next(now);
      const timer: Timer = {
        isPastDue,
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: (last ?? now).toISOString(),
          next: upcoming?.toISOString() ?? '',
          lastUpdated: now.toISOString(),
        },
      };
      last = now;
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: fn.name,
        logHandler: (level, ...args) => options.log(`[${fn.name}] ${level}: ${args.map(String).join(' ')}`),
        options: { trigger: { type: 'timerTrigger', name: 'timer' } },
      });
      const run = (async () => {
        try {
          await fn.handler(timer, context);
        } catch (error) {
          options.log(`[${fn.name}] failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      })();
      running.add(run);
      return run.finally(() => running.delete(run));
    };

    const arm = (from: Date): void => {
      if (stopped) return;
      const at = next(from);
      if (at === null) return;
      const wait = (): void => {
        if (stopped) return;
        const delay = at.getTime() - Date.now();
        const handle = setTimeout(
          () => {
            timers.delete(handle);
            if (delay > MAX_TIMEOUT_MS) return wait();
            void invoke(false).then(() => arm(new Date(Math.max(Date.now(), at.getTime()))));
          },
          Math.min(Math.max(0, delay), MAX_TIMEOUT_MS),
        );
        timers.add(handle);
      };
      wait();
    };

    if (fn.runOnStartup) void invoke(false).then(() => arm(new Date()));
    else arm(new Date());
  }

  return {
    async stop() {
      stopped = true;
      for (const handle of timers) clearTimeout(handle);
      timers.clear();
      await Promise.all(running);
    },
  };
}

/** `%NAME%` → the setting's value. */
export function resolveSchedule(
  schedule: string,
  resolveSetting: (name: string) => string | undefined,
): string {
  const match = /^%([^%]+)%$/.exec(schedule.trim());
  if (match?.[1] === undefined) return schedule;
  const value = resolveSetting(match[1]);
  if (value === undefined || value.trim() === '') {
    throw new Error(`Timer schedule setting ${match[1]} is not set`);
  }
  return value;
}

/** The next run strictly after `from`, or null. */
export function nextRunFunction(schedule: string): (from: Date) => Date | null {
  const interval = parseTimeSpan(schedule);
  if (interval !== null) {
    if (interval <= 0) throw new Error('A TimeSpan timer schedule must be longer than zero');
    return (from) => new Date(from.getTime() + interval);
  }
  if (schedule.trim().split(/\s+/).length !== 6) {
    throw new Error('A timer schedule must be an NCRONTAB expression with six fields (seconds first)');
  }
  const cron = new Cron(schedule, { mode: '6-part', timezone: 'UTC' });
  return (from) => cron.nextRun(from);
}
