import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import {
  EWS_RESUBSCRIBE_EVERY_MS,
  ewsExpiresAt,
  ewsKeepsSubscription,
} from '../../shared/calendar/ews/ews-liveness.ts';
import { provenWatermarks, withProvenWatermark } from '../../shared/notifications/ews-event-watermarks.ts';
import { utc } from '../support/builders.ts';

const SUBSCRIBED = utc('2026-11-24T09:00:00Z');
const HOUR = 3_600_000;

const anEwsSubscription = (fields: Partial<CalendarSubscription> = {}): CalendarSubscription => ({
  id: 'sub-ann',
  userId: '201',
  source: 'ews',
  expiresAt: ewsExpiresAt(SUBSCRIBED),
  clientState: null,
  watermark: 'AQAAAA==',
  ...fields,
});

describe('§5 EWS liveness only from what Exchange proves', () => {
  it('gives a subscription Exchange has just answered 24 hours', () =>
    assert.equal(ewsExpiresAt(SUBSCRIBED) - SUBSCRIBED, EWS_RESUBSCRIBE_EVERY_MS));

  const keeps = [
    { name: 'just subscribed', at: SUBSCRIBED, kept: true },
    { name: '20 hours on', at: SUBSCRIBED + 20 * HOUR, kept: true },
    { name: '21 hours on: the hourly maintenance renews it', at: SUBSCRIBED + 21 * HOUR + 1, kept: false },
    { name: 'past its deadline', at: SUBSCRIBED + 25 * HOUR, kept: false },
  ];
  for (const c of keeps) {
    it(`${c.kept ? 'keeps' : 're-subscribes'} a subscription ${c.name}`, () =>
      assert.equal(ewsKeepsSubscription(anEwsSubscription(), c.at), c.kept));
  }

  it('re-subscribes one without a deadline', () =>
    assert.equal(ewsKeepsSubscription(anEwsSubscription({ expiresAt: null }), SUBSCRIBED), false));

  it('keeps the watermarks of users whose read succeeded, not of those whose read failed', () =>
    assert.deepEqual(
      provenWatermarks(
        [
          { userId: '201', subscriptionId: 'sub-ann', watermark: 'W2' },
          { userId: '202', subscriptionId: 'sub-bob', watermark: 'W3' },
        ],
        (userId) => userId === '201',
      ),
      [{ userId: '201', subscriptionId: 'sub-ann', watermark: 'W2' }],
    ));

  const proofs = [
    {
      name: 'moves the watermark of the subscription the event came through',
      current: anEwsSubscription(),
      expected: anEwsSubscription({ watermark: 'W2' }),
    },
    { name: 'writes nothing for a user without a subscription', current: null, expected: null },
    {
      name: 'writes nothing once the subscription was replaced',
      current: anEwsSubscription({ id: 'sub-ann-2' }),
      expected: null,
    },
    {
      name: 'writes nothing for a Graph subscription',
      current: anEwsSubscription({ source: 'graph' }),
      expected: null,
    },
    {
      name: 'writes nothing when the watermark is already kept',
      current: anEwsSubscription({ watermark: 'W2' }),
      expected: null,
    },
  ];
  for (const c of proofs) {
    it(c.name, () =>
      assert.deepEqual(
        withProvenWatermark(c.current, { userId: '201', subscriptionId: 'sub-ann', watermark: 'W2' }),
        c.expected,
      ),
    );
  }
});
