import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_STATE_VALID_MS,
  type ClientStateKeys,
  ClientStates,
  coversSubscriptionUntil,
} from '../../shared/calendar/client-states.ts';
import { utc } from '../support/builders.ts';

const ISSUED = utc('2026-11-24T09:00:00Z');
const MINUTE = 60_000;
const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);

/** States minted at `at` under `keys`. */
function statesAt(at: number, keys: ClientStateKeys) {
  return new ClientStates(
    async () => keys,
    () => at,
  );
}

const only = (current: Buffer): ClientStateKeys => ({ current, previous: null, rotatedAt: null });

describe('§5 signed clientStates expire', () => {
  const cases = [
    { name: 'at once', checkedAt: ISSUED, kind: 'signed' },
    {
      name: 'after the longest subscription (10,080 minutes)',
      checkedAt: ISSUED + 10_080 * MINUTE,
      kind: 'signed',
    },
    {
      name: 'while Graph may still retry its last notice',
      checkedAt: ISSUED + (10_080 + 240) * MINUTE,
      kind: 'signed',
    },
    { name: 'once the validity has passed', checkedAt: ISSUED + CLIENT_STATE_VALID_MS, kind: 'expired' },
    { name: 'a month later', checkedAt: utc('2026-12-24T09:00:00Z'), kind: 'expired' },
    { name: 'when it claims to come from the future', checkedAt: ISSUED - 10 * MINUTE, kind: 'expired' },
  ] as const;
  for (const c of cases) {
    it(`takes a state checked ${c.name} as ${c.kind}`, async () => {
      const state = await statesAt(ISSUED, only(KEY_A)).mint('201');
      const check = await statesAt(c.checkedAt, only(KEY_A)).check(state);
      assert.equal(check.kind, c.kind);
      if (check.kind === 'signed') assert.equal(check.userId, '201');
    });
  }

  it('fits Graph’s 128 characters for clientState', async () => {
    const state = await statesAt(ISSUED, only(KEY_A)).mint('4'.repeat(40));
    assert.ok(state.length <= 128, `${state.length}`);
    assert.equal((await statesAt(ISSUED, only(KEY_A)).check(state)).kind, 'signed');
  });

  it('cannot be made younger: changing the issue time breaks the signature', async () => {
    const state = await statesAt(ISSUED, only(KEY_A)).mint('201');
    const [version, user, , nonce, mac] = state.split('.');
    const younger = `${version}.${user}.${Math.floor((ISSUED + 9 * 86_400_000) / 1000).toString(36)}.${nonce}.${mac}`;
    assert.equal((await statesAt(ISSUED + 8 * 86_400_000, only(KEY_A)).check(younger)).kind, 'forged');
  });
});

describe('§5 the clientState key can be rotated', () => {
  const ROTATED = ISSUED + 2 * 86_400_000;
  const rotated: ClientStateKeys = { current: KEY_B, previous: KEY_A, rotatedAt: ROTATED };

  it('accepts states of the old key and of the new one after a rotation', async () => {
    const old = await statesAt(ISSUED, only(KEY_A)).mint('201');
    const fresh = await statesAt(ROTATED, rotated).mint('202');
    const after = statesAt(ROTATED + MINUTE, rotated);
    assert.deepEqual(await after.check(old), { kind: 'signed', userId: '201' });
    assert.deepEqual(await after.check(fresh), { kind: 'signed', userId: '202' });
  });

  it('stops accepting the old key one validity after the rotation', async () => {
    const oldKeyLate = await statesAt(ROTATED + CLIENT_STATE_VALID_MS - MINUTE, only(KEY_A)).mint('201');
    const later = statesAt(ROTATED + CLIENT_STATE_VALID_MS, rotated);
    assert.equal((await later.check(oldKeyLate)).kind, 'forged');
  });
});

describe('§5 a subscription is created anew before its clientState expires (Graph cannot change it)', () => {
  const DAY = 86_400_000;
  it('renews only while the state outlives the renewed subscription and its retries', async () => {
    const state = await statesAt(ISSUED, only(KEY_A)).mint('201');
    assert.equal(coversSubscriptionUntil(state, ISSUED + 10_065 * MINUTE), true);
    assert.equal(coversSubscriptionUntil(state, ISSUED + 3 * DAY + 10_065 * MINUTE), false);
    // Random states and those of the first version carry no issue time: created anew.
    assert.equal(coversSubscriptionUntil('c2VjcmV0LWFubi1jbGllbnQtc3RhdGU', ISSUED + MINUTE), false);
    assert.equal(coversSubscriptionUntil('v1.MjAx.bm9uY2Vub25jZW5vbmNl.bWFj', ISSUED + MINUTE), false);
    assert.equal(coversSubscriptionUntil(null, ISSUED + MINUTE), false);
  });
});
