import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MailboxChange, Mailboxes } from '../../dev/exchange-sim/mailboxes.ts';

const HOUR = 3_600_000;

function organisation(timeZone = 'W. Europe Standard Time') {
  const mailboxes = new Mailboxes({ now: () => Date.UTC(2026, 9, 20, 8) });
  const ann = mailboxes.addUser({ email: 'Ann@Contoso.com', displayName: 'Ann Smith', timeZone });
  return { mailboxes, ann };
}

describe('simulated mailboxes', () => {
  it('finds a user by id, UPN or address, whatever the case', () => {
    const { mailboxes, ann } = organisation();
    assert.equal(mailboxes.findUser('ann@contoso.com')?.id, ann.id);
    assert.equal(mailboxes.findUser(ann.id.toUpperCase())?.mail, 'ann@contoso.com');
    assert.equal(mailboxes.findUser('bob@contoso.com'), undefined);
  });

  const allDayCases = [
    // 25 Oct 2026: Europe leaves summer time; the day is 25 hours long in Berlin.
    {
      zone: 'W. Europe Standard Time',
      date: '2026-10-25',
      starts: Date.UTC(2026, 9, 24, 22),
      ends: Date.UTC(2026, 9, 25, 23),
    },
    {
      zone: 'Pacific Standard Time',
      date: '2026-11-24',
      starts: Date.UTC(2026, 10, 24, 8),
      ends: Date.UTC(2026, 10, 25, 8),
    },
    { zone: 'UTC', date: '2026-11-24', starts: Date.UTC(2026, 10, 24), ends: Date.UTC(2026, 10, 25) },
  ];
  for (const c of allDayCases) {
    it(`places an all-day event on ${c.date} midnight to midnight in ${c.zone}`, () => {
      const { mailboxes, ann } = organisation(c.zone);
      const next = new Date(Date.parse(c.date) + 24 * HOUR).toISOString().slice(0, 10);
      mailboxes.createEvent(ann.id, { subject: 'Off', isAllDay: true, startDate: c.date, endDate: next });
      assert.equal(mailboxes.calendarView(ann.id, c.starts - HOUR, c.starts).length, 0);
      assert.equal(mailboxes.calendarView(ann.id, c.starts, c.starts + 1).length, 1);
      assert.equal(mailboxes.calendarView(ann.id, c.ends - 1, c.ends).length, 1);
      assert.equal(mailboxes.calendarView(ann.id, c.ends, c.ends + HOUR).length, 0);
    });
  }

  it('feeds every calendar change to listeners, in order, with a rising sequence', () => {
    const { mailboxes, ann } = organisation();
    const seen: MailboxChange[] = [];
    const stop = mailboxes.onChange((c) => seen.push(c));
    const start = Date.UTC(2026, 10, 24, 9);
    const event = mailboxes.createEvent(ann.id, { subject: 'Review', start, end: start + HOUR });
    mailboxes.updateEvent(ann.id, event.id, { timing: { start: start + HOUR, end: start + 2 * HOUR } });
    mailboxes.deleteEvent(ann.id, event.id);
    stop();
    mailboxes.createEvent(ann.id, { subject: 'Unseen', start, end: start + HOUR });
    assert.deepEqual(
      seen.map((c) => [c.kind, c.sequence, c.kind === 'deleted' ? c.movedToDeletedItems : null]),
      [
        ['created', 1, null],
        ['updated', 2, null],
        ['deleted', 3, true],
      ],
    );
    assert.deepEqual(
      mailboxes.changesSince(ann.id, 2).map((c) => c.sequence),
      [3, 4],
    );
    assert.equal(mailboxes.lastSequence(), 4);
  });

  it('keeps scheduled automatic replies as UTC date-times and HTML', () => {
    const { mailboxes, ann } = organisation();
    mailboxes.setAutomaticReplies(ann.id, {
      status: 'scheduled',
      start: Date.UTC(2026, 11, 1, 8),
      end: Date.UTC(2026, 11, 5, 17),
      internalReplyMessage: '<p>Away</p>',
    });
    const replies = mailboxes.mailboxSettings(ann.id).automaticRepliesSetting;
    assert.deepEqual(replies.scheduledStartDateTime, {
      dateTime: '2026-12-01T08:00:00.0000000',
      timeZone: 'UTC',
    });
    assert.equal(replies.internalReplyMessage, '<p>Away</p>');
  });

  it('refuses an event that ends before it starts', () => {
    const { mailboxes, ann } = organisation();
    const start = Date.UTC(2026, 10, 24, 9);
    assert.throws(() => mailboxes.createEvent(ann.id, { subject: 'Bad', start, end: start }));
  });
});
