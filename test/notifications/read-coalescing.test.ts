import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRead, type ReadMark, readStillNeeded } from '../../shared/notifications/read-coalescing.ts';
import type { Instant } from '../../shared/presence/model.ts';
import { utc } from '../support/builders.ts';

const at = (time: string): Instant => utc(`2026-11-24T09:00:${time}Z`);
const iso = (instant: Instant) => new Date(instant).toISOString().slice(17);

/** Notices for one user at the given seconds, each decided on the mark the ones before left. */
function notices(...times: string[]): string[] {
  let mark: ReadMark | undefined;
  return times.map((time) => {
    const decision = decideRead(mark, at(time));
    if (decision.kind === 'covered') return `${time} covered`;
    mark = decision.mark;
    return `${time} ${decision.kind} +${decision.delaySeconds}s (covers until ${iso(decision.mark.visibleAt)})`;
  });
}

describe('§5 a change notice re-reads its user at once (leading and trailing edge)', () => {
  const cases: { name: string; times: string[]; expected: string[] }[] = [
    {
      name: 'reads the first notice for a user at once',
      times: ['00.000'],
      expected: ['00.000 leading +0s (covers until 00.000Z)'],
    },
    {
      name: 'collapses the notices during a read into one more read after it',
      times: ['00.000', '00.200', '00.400', '00.900'],
      expected: [
        '00.000 leading +0s (covers until 00.000Z)',
        '00.200 trailing +1s (covers until 01.200Z)',
        '00.400 covered',
        '00.900 covered',
      ],
    },
    {
      name: 'needs another read for a notice after the trailing one became visible',
      times: ['00.000', '00.200', '01.300'],
      expected: [
        '00.000 leading +0s (covers until 00.000Z)',
        '00.200 trailing +1s (covers until 01.200Z)',
        '01.300 trailing +1s (covers until 02.300Z)',
      ],
    },
    {
      name: 'starts at once again once the last read is surely done',
      times: ['00.000', '01.000', '05.000'],
      expected: [
        '00.000 leading +0s (covers until 00.000Z)',
        '01.000 leading +0s (covers until 01.000Z)',
        '05.000 leading +0s (covers until 05.000Z)',
      ],
    },
    {
      name: 'never lets an immediate message absorb a notice, even one in the same millisecond',
      times: ['00.000', '00.000'],
      expected: ['00.000 leading +0s (covers until 00.000Z)', '00.000 trailing +1s (covers until 01.000Z)'],
    },
  ];
  for (const { name, times, expected } of cases)
    it(name, () => assert.deepEqual(notices(...times), expected));

  it('allows at most one read a second per user, as the fixed delay did', () => {
    // A notice every 100 ms for 10 s.
    const times = Array.from({ length: 100 }, (_, i) => (i / 10).toFixed(3).padStart(6, '0'));
    const reads = notices(...times).filter((line) => !line.endsWith('covered'));
    assert.ok(reads.length <= 11, `${reads.length} reads`);
    assert.equal(reads[0], '00.000 leading +0s (covers until 00.000Z)');
  });
});

describe('§5 a job skips a user whose read began after the notices it stands for', () => {
  const cases: {
    name: string;
    readAt: string | null;
    coveredUntil: string | undefined;
    read: boolean;
  }[] = [
    { name: 'reads a user never read', readAt: null, coveredUntil: '01.000', read: true },
    {
      name: 'reads a user read before the notices ended',
      readAt: '00.500',
      coveredUntil: '01.000',
      read: true,
    },
    { name: 'skips a user read as the notices ended', readAt: '01.000', coveredUntil: '01.000', read: false },
    { name: 'skips a user read after the notices', readAt: '01.200', coveredUntil: '01.000', read: false },
    {
      name: 'reads always for a job no notice caused',
      readAt: '05.000',
      coveredUntil: undefined,
      read: true,
    },
  ];
  for (const { name, readAt, coveredUntil, read } of cases) {
    it(name, () =>
      assert.equal(
        readStillNeeded(
          readAt === null ? null : at(readAt),
          coveredUntil === undefined ? undefined : at(coveredUntil),
        ),
        read,
      ),
    );
  }
});
