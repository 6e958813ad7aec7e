import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter } from '../../shared/runtime/limiter.ts';
import { backoffSeconds, parseRetryAfter } from '../../shared/runtime/retry.ts';

describe('§4 Retry-After (RFC 9110 §10.2.3), for PHONE-LiNK and Graph alike', () => {
  const now = Date.UTC(2026, 10, 24, 14, 0, 0);
  const cases: readonly { readonly header: unknown; readonly seconds: number | undefined }[] = [
    { header: '30', seconds: 30 },
    { header: ' 30 ', seconds: 30 },
    { header: 30, seconds: 30 },
    { header: 'Tue, 24 Nov 2026 14:00:45 GMT', seconds: 45 },
    { header: 'Tue, 24 Nov 2026 14:00:44.2 GMT', seconds: 45 },
    { header: 'Tue, 24 Nov 2026 13:00:00 GMT', seconds: 0 },
    { header: 'soon', seconds: undefined },
    { header: -1, seconds: undefined },
    { header: null, seconds: undefined },
  ];
  for (const c of cases) {
    it(`reads ${JSON.stringify(c.header)} as ${c.seconds} s`, () => {
      assert.equal(parseRetryAfter(c.header, now), c.seconds);
    });
  }
});

describe('the one back-off: doubling from the first wait, capped, never sooner than Retry-After', () => {
  const backoff = { firstSeconds: 5, capSeconds: 60 };
  const cases = [
    { failures: 0, retryAfter: undefined, seconds: 5 },
    { failures: 1, retryAfter: undefined, seconds: 10 },
    { failures: 3, retryAfter: undefined, seconds: 40 },
    { failures: 4, retryAfter: undefined, seconds: 60 },
    { failures: 1000, retryAfter: undefined, seconds: 60 },
    { failures: 0, retryAfter: 30, seconds: 30 },
    { failures: 4, retryAfter: 120, seconds: 120 },
  ];
  for (const c of cases) {
    it(`waits ${c.seconds} s after ${c.failures} earlier failures${c.retryAfter === undefined ? '' : `, Retry-After ${c.retryAfter}`}`, () => {
      assert.equal(backoffSeconds(c.failures, backoff, c.retryAfter), c.seconds);
    });
  }
});

describe('the one concurrency limiter', () => {
  it('runs at most its size at once and starts the waiting calls in order', async () => {
    const limiter = new Limiter(2);
    const events: string[] = [];
    const releases: (() => void)[] = [];
    const call = (name: string) =>
      limiter.run(async () => {
        events.push(`start ${name}`);
        await new Promise<void>((resolve) => releases.push(resolve));
        events.push(`end ${name}`);
      });
    const all = Promise.all(['a', 'b', 'c', 'd'].map(call));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['start a', 'start b']);
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['start a', 'start b', 'end a', 'start c']);
    while (releases.length > 0 || events.length < 8) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await all;
    assert.deepEqual(events.slice(4), ['end b', 'start d', 'end c', 'end d']);
    assert.equal(limiter.busy, false);
  });
});
