import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedTurns } from '../../shared/runtime/keyed-turns.ts';
import { READ_SPACING_MS, ReadTurns } from '../../shared/sync/read-turns.ts';
import { utc } from '../support/builders.ts';

/** Work that records when it starts and ends, and ends when the test says. */
function recorder() {
  const events: string[] = [];
  const finish = new Map<string, () => void>();
  const work = (name: string) => async () => {
    events.push(`${name} starts`);
    await new Promise<void>((resolve) => finish.set(name, resolve));
    events.push(`${name} ends`);
    return name;
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const end = async (name: string) => {
    finish.get(name)?.();
    await settle();
    await settle();
  };
  return { events, work, settle, end };
}

describe('§2 calendar-sync jobs of one process take turns per user', () => {
  it('starts a job for a user another job holds once that one has ended', async () => {
    const { events, work, settle, end } = recorder();
    const turns = new KeyedTurns();
    const first = turns.run(['201', '202'], work('first'));
    const second = turns.run(['202'], work('second'));
    await settle();
    await end('first');
    await end('second');
    assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
    assert.deepEqual(events, ['first starts', 'first ends', 'second starts', 'second ends']);
  });

  it('runs jobs for other users at once', async () => {
    const { events, work, settle, end } = recorder();
    const turns = new KeyedTurns();
    const jobs = [turns.run(['201'], work('a')), turns.run(['202'], work('b'))];
    await settle();
    assert.deepEqual(events, ['a starts', 'b starts']);
    await end('a');
    await end('b');
    await Promise.all(jobs);
  });

  it('keeps the order of asking across overlapping users, and forgets users once their jobs end', async () => {
    const { events, work, settle, end } = recorder();
    const turns = new KeyedTurns();
    const jobs = [
      turns.run(['201'], work('a')),
      turns.run(['201', '202'], work('b')),
      turns.run(['202', '201'], work('c')),
    ];
    await settle();
    await end('a');
    await end('b');
    await end('c');
    await Promise.all(jobs);
    assert.deepEqual(events, ['a starts', 'a ends', 'b starts', 'b ends', 'c starts', 'c ends']);
    assert.equal(turns.size, 0);
  });

  it('hands the next job its turn when a job fails', async () => {
    const turns = new KeyedTurns();
    const failed = turns.run(['201'], async () => {
      throw new Error('Exchange unreachable');
    });
    const next = turns.run(['201'], async () => 'read');
    await assert.rejects(failed, /Exchange unreachable/);
    assert.equal(await next, 'read');
  });
});

describe('§5 notice-driven reads of one user are paced', () => {
  /** A clock whose sleeps move it on, recording each wait. */
  const aClock = () => {
    const clock = {
      at: utc('2026-11-24T09:00:00Z'),
      waits: [] as number[],
      now: () => clock.at,
      sleep: async (ms: number) => {
        clock.waits.push(ms);
        clock.at += ms;
      },
    };
    return clock;
  };

  it('reads a lone change at once', async () => {
    const clock = aClock();
    const turns = new ReadTurns(clock);
    await turns.run(['201'], true, async () => undefined);
    assert.deepEqual(clock.waits, []);
  });

  it(`begins a notice-driven read no sooner than ${READ_SPACING_MS} ms after the last read of its users began`, async () => {
    const clock = aClock();
    const turns = new ReadTurns(clock);
    turns.began(['201'], clock.at);
    clock.at += 200;
    const begun: number[] = [];
    await turns.run(['202', '201'], true, async () => {
      begun.push(clock.now());
    });
    assert.deepEqual(clock.waits, [READ_SPACING_MS - 200]);
    assert.deepEqual(begun, [utc('2026-11-24T09:00:00.500Z')]);
  });

  it('does not pace a scan or a resync', async () => {
    const clock = aClock();
    const turns = new ReadTurns(clock);
    turns.began(['201'], clock.at);
    await turns.run(['201'], false, async () => undefined);
    assert.deepEqual(clock.waits, []);
  });
});
