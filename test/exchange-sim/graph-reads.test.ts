import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Client, GraphError } from '@microsoft/microsoft-graph-client';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import type { SimUser } from '../../dev/exchange-sim/mailboxes.ts';
import { bearer, graphClient, startSim, TENANT_ID } from './fixtures.ts';

const HOUR = 3_600_000;
const MON_9 = Date.UTC(2026, 10, 23, 9);
const WINDOW = { startDateTime: '2026-11-23T00:00:00Z', endDateTime: '2026-11-30T00:00:00Z' };

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
}

/** Every page, following @odata.nextLink as the adapter does. */
async function allPages(
  client: Client,
  first: Page,
): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items = [...first.value];
  let page = first;
  let pages = 1;
  while (page['@odata.nextLink']) {
    page = await client.api(page['@odata.nextLink']).get();
    items.push(...page.value);
    pages += 1;
  }
  return { items, pages };
}

describe('simulated Graph reads through the real SDK', () => {
  let sim: ExchangeSimulator;
  let client: Client;
  let ann: SimUser;

  before(async () => {
    sim = await startSim();
    client = graphClient(sim);
    ann = sim.mailboxes.addUser({ email: 'ann@contoso.com', displayName: 'Ann Smith' });
    for (let day = 0; day < 5; day += 1) {
      for (let slot = 0; slot < 5; slot += 1) {
        const start = MON_9 + day * 24 * HOUR + slot * HOUR;
        sim.mailboxes.createEvent(ann.id, { subject: `d${day}s${slot}`, start, end: start + HOUR / 2 });
      }
    }
    sim.mailboxes.createEvent(ann.id, {
      subject: 'Holiday',
      isAllDay: true,
      startDate: '2026-11-27',
      endDate: '2026-11-28',
      showAs: 'oof',
    });
    sim.mailboxes.createEvent(ann.id, {
      subject: 'Last week',
      start: MON_9 - 7 * 24 * HOUR,
      end: MON_9 - 6 * 24 * HOUR,
    });
    for (let i = 0; i < 7; i += 1) sim.mailboxes.addUser({ email: `user${i}@contoso.com` });
  });
  after(() => sim.stop());

  it('pages calendarView with $top and @odata.nextLink, in UTC, only the window', async () => {
    const first: Page = await client
      .api(`/users/${ann.userPrincipalName}/calendarView`)
      .query(WINDOW)
      .select('subject,start,end,isAllDay,showAs,isCancelled,responseStatus,sensitivity')
      .top(10)
      .get();
    const { items, pages } = await allPages(client, first);
    assert.equal(items.length, 26);
    assert.equal(pages, 3);
    assert.deepEqual(items[0]?.start, { dateTime: '2026-11-23T09:00:00.0000000', timeZone: 'UTC' });
    assert.equal(items[0]?.body, undefined, '$select leaves out the rest');
    assert.ok(items.every((e) => typeof e.id === 'string' && e.subject !== 'Last week'));
  });

  it('answers all-day events as floating midnight dates whatever Prefer: outlook.timezone says', async () => {
    const page: Page = await client
      .api(`/users/${ann.id}/calendarView`)
      .query(WINDOW)
      .header('Prefer', 'outlook.timezone="Pacific Standard Time"')
      .top(50)
      .get();
    const holiday = page.value.find((e) => e.subject === 'Holiday');
    assert.deepEqual(holiday?.start, {
      dateTime: '2026-11-27T00:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });
    const first = page.value.find((e) => e.subject === 'd0s0');
    assert.deepEqual(first?.start, {
      dateTime: '2026-11-23T01:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });
  });

  it('reads mailboxSettings with the time zone and scheduled automatic replies', async () => {
    sim.mailboxes.setAutomaticReplies(ann.id, {
      status: 'scheduled',
      start: Date.UTC(2026, 11, 1, 8),
      end: Date.UTC(2026, 11, 5, 17),
      internalReplyMessage: '<p>Back on Monday</p>',
    });
    const settings = await client.api(`/users/${ann.id}/mailboxSettings`).get();
    assert.equal(settings.timeZone, 'W. Europe Standard Time');
    assert.deepEqual(settings.automaticRepliesSetting.scheduledEndDateTime, {
      dateTime: '2026-12-05T17:00:00.0000000',
      timeZone: 'UTC',
    });
    sim.setCapitalizedMailboxSettings(true);
    const replies = await client.api(`/users/${ann.id}/mailboxSettings/automaticRepliesSetting`).get();
    sim.setCapitalizedMailboxSettings(false);
    assert.equal(replies.status, 'Scheduled');
    assert.equal(replies.internalReplyMessage, '<p>Back on Monday</p>');
  });

  it('pages /users and names the tenant in /organization', async () => {
    const first: Page = await client.api('/users').select('id,mail,displayName').top(3).get();
    const { items, pages } = await allPages(client, first);
    assert.equal(items.length, 8);
    assert.equal(pages, 3);
    const org = await client.api('/organization').get();
    assert.equal(org.value[0].id, TENANT_ID);
  });

  it("answers an unknown mailbox with Graph's 404 error body", async () => {
    await assert.rejects(
      client.api('/users/nobody@contoso.com/calendarView').query(WINDOW).get(),
      (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.statusCode, 404);
        assert.equal(error.code, 'ErrorInvalidUser');
        return true;
      },
    );
  });

  it('answers a directory user without a mailbox MailboxNotEnabledForRESTAPI', async () => {
    const guest = sim.mailboxes.addUser({ email: 'guest@contoso.com', hasMailbox: false });
    await assert.rejects(client.api(`/users/${guest.id}/mailboxSettings`).get(), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, 'MailboxNotEnabledForRESTAPI');
      return true;
    });
  });

  it('refuses a request without a valid bearer token', async () => {
    const none = await fetch(`${sim.graphBaseUrl}/v1.0/users`);
    assert.equal(none.status, 401);
    assert.partialDeepStrictEqual(await none.json(), { error: { code: 'InvalidAuthenticationToken' } });
    const forged = await fetch(`${sim.graphBaseUrl}/v1.0/users`, {
      headers: { authorization: `${await bearer(sim)}x` },
    });
    assert.equal(forged.status, 401);
  });
});
