import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreshRead } from '../../shared/runtime/fresh-read.ts';

/** A store whose reads end when the test says, each answering the value stored when it began. */
function slowStore() {
  const store = { value: 'on', reads: 0, pending: [] as (() => void)[] };
  const read = () => {
    store.reads += 1;
    const value = store.value;
    return new Promise<string>((resolve) => store.pending.push(() => resolve(value)));
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const finishOne = async () => {
    store.pending.shift()?.();
    await settle();
  };
  return { store, read, finishOne, settle };
}

describe('§1 Activate: readers at once share reads, none older than its call', () => {
  it('gives the callers who come during a read the next read, begun after they asked', async () => {
    const { store, read, finishOne, settle } = slowStore();
    const fresh = new FreshRead(read);
    const first = fresh.get();
    await settle();
    store.value = 'off';
    const later = [fresh.get(), fresh.get(), fresh.get()];
    await finishOne();
    await finishOne();
    assert.equal(await first, 'on');
    assert.deepEqual(await Promise.all(later), ['off', 'off', 'off']);
    assert.equal(store.reads, 2);
  });

  it('reads again for a caller who comes after the reads have ended', async () => {
    const { store, read, finishOne } = slowStore();
    const fresh = new FreshRead(read);
    const first = fresh.get();
    await finishOne();
    store.value = 'off';
    const second = fresh.get();
    await finishOne();
    assert.deepEqual([await first, await second], ['on', 'off']);
    assert.equal(store.reads, 2);
  });

  it('hands a failed read to its callers and reads afresh for the next', async () => {
    let reads = 0;
    const fresh = new FreshRead(async () => {
      reads += 1;
      if (reads === 1) throw new Error('storage down');
      return 'on';
    });
    await assert.rejects(fresh.get(), /storage down/);
    assert.equal(await fresh.get(), 'on');
  });
});
