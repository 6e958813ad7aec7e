import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvocationContext } from '../../dev/host/azure-functions.ts';
import { deliveryCount, redeliveredSince } from '../../shared/runtime/delivery-count.ts';

const context = (triggerMetadata: Record<string, unknown>) => new InvocationContext({ triggerMetadata });

describe('§2 a queue message delivered again', () => {
  it('is told apart from a first delivery by its dequeue count', () => {
    assert.equal(deliveryCount(context({ dequeueCount: 3 })), 3);
    assert.equal(deliveryCount(context({})), null);
    assert.equal(
      redeliveredSince(context({ dequeueCount: 1, insertionTime: '2026-11-24T09:00:00Z' })),
      undefined,
    );
  });

  it('may have done work since it was queued (less a minute for the storage clock)', () => {
    const queued = Date.parse('2026-11-24T09:00:00Z');
    for (const insertionTime of ['2026-11-24T09:00:00Z', new Date(queued)]) {
      assert.equal(redeliveredSince(context({ dequeueCount: 2, insertionTime })), queued - 60_000);
    }
    // Not said: any earlier work may be unfinished.
    assert.equal(redeliveredSince(context({ dequeueCount: 2 })), 0);
  });
});
