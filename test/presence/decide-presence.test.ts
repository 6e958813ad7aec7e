import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CalendarFacts,
  decidePresence,
  forgetPush,
  nextSequence,
  outOfStep,
  type PresenceFacts,
  type Standing,
  wakeUpArrival,
} from '../../shared/presence/decide-presence.ts';
import type { PresenceBody } from '../../shared/presence/presence-body.ts';
import type { PresenceRecord } from '../../shared/storage/stores.ts';
import {
  aCalendar,
  anAllDayAppointment,
  anAppointment,
  anOverride,
  aPolicy,
  aPresenceBody,
  aPresenceRecord,
  utc,
} from '../support/builders.ts';

const WEEK_MS = 7 * 24 * 3600_000;
/** A 09:00–10:00Z meeting "Design review" in a Berlin mailbox. */
const MEETING = aCalendar({ appointments: [anAppointment({ subject: 'Design review' })] });
const IN_MEETING = aPresenceBody({
  availability: 'Meeting',
  note: 'Design review',
  until: '2026-11-24T10:00:00Z',
});

function facts(
  fields: Partial<PresenceFacts<PresenceRecord>> & { at: string },
): PresenceFacts<PresenceRecord> {
  const { at, ...rest } = fields;
  return {
    standing: 'managed',
    record: aPresenceRecord('201'),
    calendar: MEETING,
    policy: aPolicy(),
    now: utc(at),
    longestWaitMs: WEEK_MS,
    ...rest,
  };
}

/** The decision in words: what is pushed, whether the record is written, and the wake-up instant. */
function decided(input: PresenceFacts<PresenceRecord>) {
  const decision = decidePresence(input);
  if (decision.kind !== 'current') return { kind: decision.kind };
  return {
    kind: decision.kind,
    push: decision.push === null ? null : { ...decision.push.body, sequence: decision.push.sequence },
    stores: decision.store !== null,
    wakeUp: decision.wakeUp === null ? null : new Date(decision.wakeUp).toISOString().replace('.000Z', 'Z'),
  };
}

describe('§3 push only on change', () => {
  const pushedAt = utc('2026-11-24T09:00:00Z');
  const pushed = aPresenceRecord('201', {
    lastPushed: IN_MEETING,
    lastPushedAt: pushedAt,
    sequence: 12,
    wakeAt: utc('2026-11-24T10:00:00Z'),
    etag: 'e1',
  });
  const cases: {
    name: string;
    input: PresenceFacts<PresenceRecord>;
    push: 'new' | 'again' | null;
    /** What is pushed; the meeting unless told. */
    body?: PresenceBody;
    stores: boolean;
    wakeUp: string | null;
  }[] = [
    {
      name: 'pushes the first state and wakes at its end',
      input: facts({ at: '2026-11-24T09:00:00Z' }),
      push: 'new',
      stores: true,
      wakeUp: '2026-11-24T10:00:00Z',
    },
    {
      name: 'pushes nothing and writes nothing when the body and the wake-up are as pushed',
      input: facts({ at: '2026-11-24T09:30:00Z', record: pushed }),
      push: null,
      stores: false,
      wakeUp: null,
    },
    {
      name: 'pushes a body it no longer knows PHONE-LiNK shows (its push failed)',
      input: facts({ at: '2026-11-24T09:30:00Z', record: { ...pushed, lastPushed: null } }),
      push: 'new',
      stores: true,
      wakeUp: null,
    },
    {
      name: 'pushes again a body reserved since the instant its message names unconfirmed',
      input: facts({ at: '2026-11-24T09:30:00Z', record: pushed, unconfirmedSince: pushedAt }),
      push: 'again',
      stores: true,
      wakeUp: null,
    },
    {
      name: 'trusts a body reserved before that instant (its run completed)',
      input: facts({ at: '2026-11-24T09:30:00Z', record: pushed, unconfirmedSince: pushedAt + 1 }),
      push: null,
      stores: false,
      wakeUp: null,
    },
    {
      name: 'records a newer change notice without pushing',
      input: facts({ at: '2026-11-24T09:30:00Z', record: pushed, notifiedAt: utc('2026-11-24T09:29:00Z') }),
      push: null,
      stores: true,
      wakeUp: null,
    },
    {
      name: 'schedules a wake-up the record does not name, without pushing',
      input: facts({ at: '2026-11-24T09:30:00Z', record: { ...pushed, wakeAt: null } }),
      push: null,
      stores: true,
      wakeUp: '2026-11-24T10:00:00Z',
    },
    {
      name: 'wakes within the queue delay limit when the state holds longer',
      input: facts({
        at: '2026-11-24T09:30:00Z',
        calendar: aCalendar({
          appointments: [
            anAppointment({ start: utc('2026-12-04T09:00:00Z'), end: utc('2026-12-04T10:00:00Z') }),
          ],
        }),
      }),
      push: 'new',
      body: aPresenceBody({ until: '2026-12-04T09:00:00Z' }),
      stores: true,
      wakeUp: '2026-12-01T09:30:00Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const answer = decided(c.input);
      const sequence = nextSequence(c.input.record.sequence, c.input.now);
      assert.deepEqual(answer, {
        kind: 'current',
        push: c.push === null ? null : { ...(c.body ?? IN_MEETING), sequence },
        stores: c.stores,
        wakeUp: c.wakeUp,
      });
      if (c.push === 'again') assert.ok(sequence > c.input.record.sequence);
    });
  }

  it('reserves the push in the record it stores: body, instant and sequence', () => {
    const decision = decidePresence(
      facts({ at: '2026-11-24T09:00:00Z', notifiedAt: utc('2026-11-24T08:59:58Z') }),
    );
    assert.equal(decision.kind, 'current');
    if (decision.kind !== 'current') return;
    assert.deepEqual(decision.store, {
      ...aPresenceRecord('201'),
      lastPushed: IN_MEETING,
      lastPushedAt: utc('2026-11-24T09:00:00Z'),
      sequence: decision.push?.sequence,
      wakeAt: utc('2026-11-24T10:00:00Z'),
      lastNotificationAt: utc('2026-11-24T08:59:58Z'),
    });
  });

  it('keeps the later of two change notices', () => {
    const record = aPresenceRecord('201', { lastNotificationAt: utc('2026-11-24T09:10:00Z') });
    const decision = decidePresence(
      facts({ at: '2026-11-24T09:30:00Z', record, notifiedAt: utc('2026-11-24T09:05:00Z') }),
    );
    assert.equal(
      decision.kind === 'current' ? decision.store?.lastNotificationAt : null,
      utc('2026-11-24T09:10:00Z'),
    );
  });

  it('places an all-day appointment in the mailbox time zone (Berlin)', () => {
    const offsite: CalendarFacts = aCalendar({
      appointments: [anAllDayAppointment('2026-11-24', '2026-11-24')],
    });
    assert.deepEqual(decided(facts({ at: '2026-11-23T23:00:00Z', calendar: offsite })), {
      kind: 'current',
      push: {
        ...aPresenceBody({ availability: 'Meeting', note: 'Offsite', until: '2026-11-24T23:00:00Z' }),
        sequence: nextSequence(0, utc('2026-11-23T23:00:00Z')),
      },
      stores: true,
      wakeUp: '2026-11-24T23:00:00Z',
    });
  });
});

describe('§3/§4 a stretch of meetings', () => {
  const stretch: CalendarFacts = aCalendar({
    appointments: [
      anAppointment({ subject: 'Design review' }),
      anAppointment({
        subject: 'Standup',
        start: utc('2026-11-24T10:00:00Z'),
        end: utc('2026-11-24T11:00:00Z'),
      }),
    ],
  });
  const cases = [
    {
      name: 'says Meeting until the stretch ends, and wakes where the note changes',
      at: '2026-11-24T09:00:00Z',
      push: aPresenceBody({ availability: 'Meeting', note: 'Design review', until: '2026-11-24T11:00:00Z' }),
      wakeUp: '2026-11-24T10:00:00Z',
    },
    {
      name: 'pushes only the new note at the inner boundary, and wakes at the end',
      at: '2026-11-24T10:00:00Z',
      push: aPresenceBody({ availability: 'Meeting', note: 'Standup', until: '2026-11-24T11:00:00Z' }),
      wakeUp: '2026-11-24T11:00:00Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () =>
      assert.deepEqual(decided(facts({ at: c.at, calendar: stretch })), {
        kind: 'current',
        push: { ...c.push, sequence: nextSequence(0, utc(c.at)) },
        stores: true,
        wakeUp: c.wakeUp,
      }),
    );
  }
});

describe('§3 override end', () => {
  const setAt = utc('2026-11-24T08:30:00Z');
  const overridden = aPresenceRecord('201', { override: anOverride({ availability: 'OutOfOffice', setAt }) });

  it('shows the override until the next appointment starts, and keeps it on record', () => {
    const decision = decidePresence(facts({ at: '2026-11-24T08:45:00Z', record: overridden }));
    assert.equal(decision.kind, 'current');
    if (decision.kind !== 'current') return;
    assert.equal(decision.push?.body.source, 'override');
    assert.equal(decision.push?.body.until, '2026-11-24T09:00:00Z');
    assert.deepEqual(decision.store?.override, overridden.override);
  });

  it('ends it at that start: the calendar shows, and the record drops it so no change revives it', () => {
    const decision = decidePresence(facts({ at: '2026-11-24T09:00:00Z', record: overridden }));
    assert.equal(decision.kind, 'current');
    if (decision.kind !== 'current') return;
    assert.deepEqual(decision.push?.body, IN_MEETING);
    assert.equal(decision.store?.override, null);
  });

  it('shows an override before the first calendar read', () => {
    const decision = decidePresence(
      facts({ at: '2026-11-24T08:45:00Z', record: overridden, calendar: null }),
    );
    assert.equal(decision.kind === 'current' ? decision.push?.body.availability : null, 'OutOfOffice');
  });
});

describe('§2 users the worker does not serve', () => {
  const scheduled = aPresenceRecord('201', { wakeAt: utc('2026-11-24T10:00:00Z'), etag: 'e1' });
  const cases: { name: string; standing: Standing; record: PresenceRecord; clears: boolean }[] = [
    {
      name: 'clears the wake-up of a user no longer managed',
      standing: 'not-managed',
      record: scheduled,
      clears: true,
    },
    {
      name: 'clears it while the integration is off',
      standing: 'integration-off',
      record: scheduled,
      clears: true,
    },
    {
      name: 'writes nothing when none is on record',
      standing: 'not-managed',
      record: aPresenceRecord('201'),
      clears: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = decidePresence(
        facts({ at: '2026-11-24T09:00:00Z', standing: c.standing, record: c.record }),
      );
      assert.deepEqual(decision, {
        kind: 'idle',
        standing: c.standing,
        store: c.clears ? { ...c.record, wakeAt: null } : null,
      });
    });
  }

  it('shows nothing before the first calendar read', () =>
    assert.deepEqual(decided(facts({ at: '2026-11-24T09:00:00Z', calendar: null })), {
      kind: 'no-calendar-yet',
    }));
});

describe('§2 a wake-up arriving', () => {
  const wakeAt = utc('2026-11-24T10:00:00Z');
  const cases: {
    name: string;
    recorded: number | null;
    at: string;
    answer: ReturnType<typeof wakeUpArrival>;
  }[] = [
    {
      name: 'is dropped when superseded and not yet due',
      recorded: wakeAt + 60_000,
      at: '2026-11-24T09:59:59Z',
      answer: { kind: 'stale' },
    },
    {
      name: 'recomputes when superseded but due (its run may have died mid-push)',
      recorded: null,
      at: '2026-11-24T10:00:00Z',
      answer: { kind: 'due', waitMs: 0 },
    },
    {
      name: 'goes back on the queue when far too early',
      recorded: wakeAt,
      at: '2026-11-24T09:59:57Z',
      answer: { kind: 'too-early' },
    },
    {
      name: 'waits out a moment early, so no push comes before its instant',
      recorded: wakeAt,
      at: '2026-11-24T09:59:58.500Z',
      answer: { kind: 'due', waitMs: 1500 },
    },
    {
      name: 'recomputes at once when late',
      recorded: wakeAt,
      at: '2026-11-24T10:00:03Z',
      answer: { kind: 'due', waitMs: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(wakeUpArrival(wakeAt, c.recorded, utc(c.at), 2000), c.answer));
  }
});

describe('§4 a failed push', () => {
  it('forgets the body it reserved, so the next run pushes it', () => {
    const reserved = aPresenceRecord('201', { lastPushed: IN_MEETING, sequence: 12 });
    assert.deepEqual(forgetPush(reserved, 12), { ...reserved, lastPushed: null });
  });

  it('leaves a later reservation alone', () => {
    const later = aPresenceRecord('201', { lastPushed: IN_MEETING, sequence: 13 });
    assert.equal(forgetPush(later, 12), null);
  });
});

describe('§4 out of step with the calendar (the hourly check)', () => {
  const inStep = aPresenceRecord('201', {
    lastPushed: IN_MEETING,
    lastPushedAt: utc('2026-11-24T09:00:00Z'),
    sequence: 12,
    wakeAt: utc('2026-11-24T10:00:00Z'),
    etag: 'e1',
  });
  const cases: { name: string; input: PresenceFacts<PresenceRecord>; out: boolean }[] = [
    {
      name: 'not when PHONE-LiNK shows the calendar and the next change is scheduled',
      input: facts({ at: '2026-11-24T09:30:00Z', record: inStep }),
      out: false,
    },
    {
      name: 'when a push failed and no try of it was made lately (its retry is lost)',
      input: facts({ at: '2026-11-24T09:30:00Z', record: { ...inStep, lastPushed: null } }),
      out: true,
    },
    {
      name: 'not while a failed push is still being tried (one was reserved minutes ago)',
      input: facts({
        at: '2026-11-24T09:30:00Z',
        record: { ...inStep, lastPushed: null, lastPushedAt: utc('2026-11-24T09:25:00Z') },
      }),
      out: false,
    },
    {
      name: 'when what was last sent is not what the calendar says now',
      input: facts({ at: '2026-11-24T10:30:00Z', record: inStep }),
      out: true,
    },
    {
      name: 'not while the wake-up for the change is due this minute (it is being run)',
      input: facts({ at: '2026-11-24T10:00:20Z', record: inStep }),
      out: false,
    },
    {
      name: 'when that wake-up is a minute overdue (it did not run)',
      input: facts({ at: '2026-11-24T10:01:00Z', record: inStep }),
      out: true,
    },
    {
      name: 'when no wake-up is on record for the next change',
      input: facts({ at: '2026-11-24T09:30:00Z', record: { ...inStep, wakeAt: null } }),
      out: true,
    },
    {
      name: 'when the wake-up on record comes after the next change',
      input: facts({
        at: '2026-11-24T09:30:00Z',
        record: { ...inStep, wakeAt: utc('2026-11-24T11:00:00Z') },
      }),
      out: true,
    },
    {
      name: 'not when the wake-up on record only re-checks early',
      input: facts({
        at: '2026-11-24T09:30:00Z',
        record: { ...inStep, wakeAt: utc('2026-11-24T09:45:00Z') },
      }),
      out: false,
    },
    {
      name: 'not for a user the service does not manage',
      input: facts({ at: '2026-11-24T10:30:00Z', record: inStep, standing: 'not-managed' }),
      out: false,
    },
    {
      name: 'not before the first calendar read',
      input: facts({ at: '2026-11-24T09:30:00Z', calendar: null }),
      out: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(outOfStep(c.input), c.out));
});
