import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextSequence } from '../../shared/presence/decide-presence.ts';
import { type RetryCause, retryDelaySeconds } from '../../shared/presence-sync/retry-policy.ts';
import { utc } from '../support/builders.ts';

describe('§4 retry with back-off honouring Retry-After', () => {
  const cases: { attempt: number; retryAfter?: number; cause: RetryCause; seconds: number }[] = [
    { attempt: 0, cause: 'unreachable', seconds: 1 },
    { attempt: 1, cause: 'unreachable', seconds: 2 },
    { attempt: 3, cause: 'unreachable', seconds: 8 },
    { attempt: 4, cause: 'unreachable', seconds: 10 },
    { attempt: 11, cause: 'unreachable', seconds: 10 },
    { attempt: 12, cause: 'unreachable', seconds: 60 },
    { attempt: 40, cause: 'unreachable', seconds: 300 },
    { attempt: 1000, cause: 'unreachable', seconds: 300 },
    { attempt: 0, retryAfter: 7, cause: 'unreachable', seconds: 7 },
    { attempt: 5, retryAfter: 3, cause: 'unreachable', seconds: 10 },
    { attempt: 0, retryAfter: 30 * 24 * 3600, cause: 'unreachable', seconds: 7 * 24 * 3600 - 60 },
    { attempt: 6, cause: 'unauthorized', seconds: 60 },
    { attempt: 10, cause: 'unauthorized', seconds: 300 },
  ];
  for (const c of cases) {
    it(`waits ${c.seconds} s after attempt ${c.attempt} (${c.cause}, Retry-After ${c.retryAfter ?? 'none'})`, () => {
      assert.equal(retryDelaySeconds(c.attempt, c.retryAfter, c.cause), c.seconds);
    });
  }
});

describe('§4 sequence strictly increasing, also across restarts', () => {
  const now = utc('2026-11-24T09:00:00Z');
  it('counts on from the last sequence within a second', () => {
    const first = nextSequence(0, now);
    assert.equal(nextSequence(first, now), first + 1);
  });
  it('starts above every earlier sequence when the record is lost, a second later', () => {
    const earlier = nextSequence(nextSequence(0, now), now);
    assert.ok(nextSequence(0, now + 2000) > earlier);
  });
  it('fits a signed 32-bit integer for decades', () => {
    assert.ok(nextSequence(0, utc('2080-01-01T00:00:00Z')) < 2 ** 31);
  });
});
