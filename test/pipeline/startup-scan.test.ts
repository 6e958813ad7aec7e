import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SCAN_SCHEDULE } from '../../shared/config/load-settings.ts';
import { QUEUES, scanMessage } from '../../shared/queues/messages.ts';
import { decodeMessage } from '../../shared/queues/storage-work-queues.ts';
import { scanIsDue } from '../../shared/sync/scan-due.ts';
import { utc } from '../support/builders.ts';
import { eventually, type LivePipeline, startLivePipeline } from './support/live-pipeline.ts';

const DAY = 24 * 3_600_000;
/** SCAN_SCHEDULE's default: Mondays 03:00 UTC. 2026-11-23 is a Monday. */
const cases = [
  { name: 'a deployment that never scanned', last: null, now: '2026-11-24T10:00:00Z', due: true },
  {
    name: 'an instance started an hour after the last scan',
    last: '2026-11-24T09:00:00Z',
    now: '2026-11-24T10:00:00Z',
    due: false,
  },
  {
    name: 'a start six days on, before the next Monday 03:00',
    last: '2026-11-23T03:00:05Z',
    now: '2026-11-29T23:00:00Z',
    due: false,
  },
  {
    name: 'a start after the Monday 03:00 it slept through',
    last: '2026-11-23T03:00:05Z',
    now: '2026-11-30T08:00:00Z',
    due: true,
  },
  {
    name: 'the weekly run itself, a week after the last',
    last: '2026-11-23T03:00:05Z',
    now: '2026-11-30T03:00:00Z',
    due: true,
  },
  {
    name: 'a weekly run past due, just after a start that scanned',
    last: '2026-11-30T08:00:00Z',
    now: '2026-11-30T08:00:01Z',
    due: false,
  },
  {
    name: 'a last scan the clock puts in the future',
    last: '2026-12-01T00:00:00Z',
    now: '2026-11-24T10:00:00Z',
    due: true,
  },
] as const;

describe('§1 one start-up scan per deployment, not per instance', () => {
  for (const c of cases) {
    it(`${c.due ? 'scans' : 'does not scan'} for ${c.name}`, () =>
      assert.equal(
        scanIsDue(c.last === null ? null : utc(c.last), DEFAULT_SCAN_SCHEDULE, utc(c.now)),
        c.due,
      ));
  }
});

describe('§1 the start-up scan across host starts (Azurite, the functions host)', {
  timeout: 120_000,
}, () => {
  let pipeline: LivePipeline;
  before(async () => {
    pipeline = await startLivePipeline({ users: [], scanTimer: true });
  });
  after(() => pipeline.stop());

  const scansQueued = async () => {
    const queue = await pipeline.queues.queue(QUEUES.scan);
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    return peeked.peekedMessageItems.map((m) => scanMessage.parse(decodeMessage(m.messageText)));
  };
  const skippedStarts = async () =>
    (await pipeline.logLines()).filter((line) => line.startsWith('Start-up: the deployment scanned lately'))
      .length;
  const restart = async () => {
    await pipeline.host.stop();
    pipeline.host = await pipeline.startHost();
  };

  it('scans at the first start of a new deployment', async () => {
    assert.deepEqual(await eventually('the start-up scan', scansQueued, (s) => s.length === 1, 30_000), [
      { reason: 'startup' },
    ]);
  });

  it('does not scan at a second start right after the first', async () => {
    await restart();
    await eventually('the start that skips', skippedStarts, (n) => n === 1, 30_000);
    assert.equal((await scansQueued()).length, 1);
  });

  it('scans at a start once the last scan is older than the schedule allows', async () => {
    const seen = await pipeline.services.lastScan.read();
    assert.ok(seen.at !== null);
    assert.ok(await pipeline.services.lastScan.claim(seen.at - 8 * DAY, seen));
    await restart();
    await eventually('the second start-up scan', scansQueued, (s) => s.length === 2, 30_000);
    assert.equal(await skippedStarts(), 1);
  });
});
