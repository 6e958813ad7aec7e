import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startFunctionsHost } from '../../dev/host/functions-host.ts';
import { nextRunFunction } from '../../dev/host/timer-scheduler.ts';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('§2 local functions host: timer triggers', () => {
  it('runs a run-on-start-up timer at start, reads %SETTING% schedules, and fires six-field NCRONTAB', async () => {
    const host = await startFunctionsHost({
      port: 0,
      functionsDir: join(fixtures, 'timers'),
      settingsDir: fixtures,
      env: { FIXTURE_SCHEDULE: '0 0 3 * * 1' },
      print: () => undefined,
    });
    const { calls } = await import('./fixtures/timers/startup.ts');
    try {
      const deadline = Date.now() + 5_000;
      while (!calls.some((c) => c.name === 'everySecond') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await host.stop();
    }
    const startup = calls.filter((c) => c.name === 'atStartup');
    assert.equal(startup.length, 1);
    assert.equal(startup[0]?.timer.isPastDue, false);
    // The next run of "03:00:00 every Monday" after now.
    const next = new Date(startup[0]?.timer.scheduleStatus.next ?? '');
    assert.equal(next.getUTCDay(), 1);
    assert.equal(next.getUTCHours(), 3);
    assert.ok(calls.some((c) => c.name === 'everySecond'));
    assert.equal(process.env.FIXTURE_SCHEDULE, undefined, 'the environment is restored on stop');
  });

  const schedules = [
    { schedule: '0 */5 * * * *', from: '2026-11-24T10:03:07Z', next: '2026-11-24T10:05:00.000Z' },
    { schedule: '30 0 3 * * 1', from: '2026-11-24T10:00:00Z', next: '2026-11-30T03:00:30.000Z' },
    { schedule: '0 0 0 * * SUN', from: '2026-11-24T10:00:00Z', next: '2026-11-29T00:00:00.000Z' },
    { schedule: '00:10:00', from: '2026-11-24T10:00:00Z', next: '2026-11-24T10:10:00.000Z' },
  ];
  for (const { schedule, from, next } of schedules) {
    it(`schedules "${schedule}" after ${from} at ${next} (UTC)`, () => {
      assert.equal(nextRunFunction(schedule)(new Date(from))?.toISOString(), next);
    });
  }

  it('refuses a five-field cron (NCRONTAB has seconds)', () => {
    assert.throws(() => nextRunFunction('0 3 * * 1'), /six fields/);
  });
});

describe('§7 a bad timer schedule stops start-up', () => {
  it('names the unset schedule setting and leaves nothing listening', async () => {
    const { defineTimer } = await import('../../shared/runtime/define-function.ts');
    const fn = defineTimer({
      name: 'unsetSchedule',
      schedule: '%FIXTURE_UNSET_SCHEDULE%',
      runOnStartup: false,
      handler: async () => undefined,
    });
    await assert.rejects(
      startFunctionsHost({ port: 0, functions: [fn], settingsDir: fixtures, print: () => undefined }),
      /FIXTURE_UNSET_SCHEDULE is not set/,
    );
  });
});
