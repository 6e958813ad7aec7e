import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { mountedEws } from '../../dev/exchange-sim/ews/mount-ews.ts';
import { homesOf, type MailboxHome } from '../../dev/exchange-sim/organization-split.ts';
import { getServices } from '../../shared/app/services.ts';
import { wireMailboxCheck } from '../../shared/app/wire-sync.ts';
import { runMailboxCheck } from '../../shared/sync/check-mailboxes.ts';
import { type ExchangeWorld, startExchangeWorld } from '../graph/support/exchange-world.ts';
import { busy, MINUTE } from '../graph/support/presence-scenarios.ts';

/**
 * SPEC §1 hybrid, end to end: one organization with mailboxes on Exchange Online (Graph) and
 * on the Exchange Server (EWS), served by CALENDAR_SOURCE=hybrid through the local host, both
 * simulated sides and the PHONE-LiNK simulator.
 */
const USERS = [
  { id: '401', email: 'olga@contoso.com', home: 'exchangeOnline' },
  { id: '402', email: 'pete@contoso.com', home: 'exchangeServer' },
  { id: '403', email: 'quinn@contoso.com', home: 'exchangeServer' },
  { id: '404', email: 'rita@contoso.com', home: 'exchangeOnline' },
  { id: '405', email: 'sam@contoso.com', home: 'exchangeServer' },
  { id: '406', email: 'nobody@contoso.com', home: null },
] as const satisfies readonly { id: string; email: string; home: MailboxHome | null }[];

const idOf = (email: string) => USERS.find((u) => u.email === email)?.id ?? '';

describe('§1 hybrid organizations: each mailbox on its side', () => {
  let world: ExchangeWorld;

  const lines = async () => (await getServices().logReader.readAfter(null, 10_000)).map((e) => e.line);
  const routeOf = async (email: string) => (await getServices().mailboxRoutes.get(idOf(email)))?.side ?? null;
  const subscriptionSide = async (email: string) =>
    (await getServices().subscriptions.getByUser(idOf(email)))?.source ?? null;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${world.host.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${world.adminKey}`, 'content-type': 'application/json' },
    });
  /** The organization's control call: a migration batch completing for one mailbox. */
  const move = async (email: string, to: MailboxHome) => {
    const answer = await fetch(
      `${world.exchange.graphBaseUrl.replace(/\/v1\.0$/, '')}/_organization/mailboxes/${email}/move`,
      { method: 'POST', body: JSON.stringify({ to }) },
    );
    assert.equal(answer.status, 204);
  };

  before(async () => {
    world = await startExchangeWorld({
      source: 'hybrid',
      functions: [
        'admin-scan-http.ts',
        'admin-status-http.ts',
        'admin-users-http.ts',
        'admin-appointments-http.ts',
        'admin-health-http.ts',
      ],
      users: USERS.map(({ id, email }) => ({ id, email })),
      seed: (mailboxes) => {
        for (const user of USERS) if (user.home !== null) homesOf(mailboxes).place(user.email, user.home);
        mailboxes.removeUser('nobody@contoso.com');
        busy(mailboxes, 'olga@contoso.com', { subject: 'Cloud standup' });
        busy(mailboxes, 'pete@contoso.com', { subject: 'Server room tour' });
      },
    });
    await world.waitFor('every route', async () => (await routeOf('nobody@contoso.com')) !== null, 30_000);
  });

  after(async () => {
    await world?.stop();
  });

  it('routes each user to the side that holds their mailbox, and keeps the route with the user', async () => {
    assert.deepEqual(await Promise.all(USERS.map((u) => routeOf(u.email))), [
      'graph',
      'ews',
      'ews',
      'graph',
      'ews',
      'none',
    ]);
    await world.waitFor(
      'the subscriptions',
      async () => (await subscriptionSide('sam@contoso.com')) !== null,
    );
    assert.equal(await subscriptionSide('olga@contoso.com'), 'graph');
    assert.equal(await subscriptionSide('pete@contoso.com'), 'ews');
  });

  it('serves users of both sides in one run', async () => {
    const olga = await world.waitForPresence('401', (p) => p.availability === 'Meeting');
    const pete = await world.waitForPresence('402', (p) => p.availability === 'Meeting');
    assert.equal(olga.note, 'Cloud standup');
    assert.equal(pete.note, 'Server room tour');
  });

  it('§6 logs the Graph tenant line and the EWS version line, then each subscribing line with its side', async () => {
    const log = await lines();
    const graph = log.findIndex((l) => l.startsWith('Connected to Microsoft Graph (tenant '));
    const ews = log.findIndex((l) =>
      /^Connected to EWS Microsoft Exchange\(v\d\d\.\d\d\.\d{4}\.\d{4}\)$/.test(l),
    );
    const olga = log.indexOf('Subscribing to availability of user: olga@contoso.com (Exchange Online)');
    const pete = log.indexOf('Subscribing to availability of user: pete@contoso.com (Exchange Server)');
    assert.ok(graph >= 0 && ews >= 0, 'both connection lines');
    assert.ok(olga > Math.max(graph, ews) && pete > Math.max(graph, ews), 'subscribing lines after both');
  });

  it('flags a mailbox that no side holds', async () => {
    assert.ok(
      (await lines()).includes(
        'Neither Exchange Online nor the Exchange Server holds a mailbox for nobody@contoso.com',
      ),
    );
    assert.equal(world.presenceOf('406'), null);
  });

  it("§5 the users view and the advanced view show each user's side", async () => {
    const list = z
      .object({
        users: z.array(z.object({ id: z.string(), side: z.object({ name: z.string() }).nullable() })),
      })
      .parse(await (await admin('/api/users')).json());
    const sideOf = (id: string) => list.users.find((u) => u.id === id)?.side?.name ?? null;
    assert.equal(sideOf('401'), 'Exchange Online');
    assert.equal(sideOf('402'), 'Exchange Server');
    const advanced = z
      .object({ side: z.object({ route: z.string(), name: z.string() }) })
      .parse(await (await admin('/api/users/402/appointments')).json());
    assert.deepEqual(advanced.side, { route: 'ews', name: 'Exchange Server' });
  });

  it('the health view counts users per side and flags the mailbox no side can read', async () => {
    const health = z
      .object({
        sides: z.object({ exchangeOnline: z.number(), exchangeServer: z.number(), noMailbox: z.number() }),
        warnings: z.array(
          z.object({ severity: z.string(), text: z.string(), userId: z.string().optional() }),
        ),
      })
      .parse(await (await admin('/api/health')).json());
    assert.deepEqual(health.sides, { exchangeOnline: 2, exchangeServer: 3, noMailbox: 1 });
    const flagged = health.warnings.find((w) => w.userId === '406' && /no side can read/.test(w.text));
    assert.equal(flagged?.severity, 'error');
  });

  it('§5 the status is online while both sides answer', async () => {
    const status = z
      .object({ status: z.string(), source: z.string() })
      .parse(await (await admin('/api/status')).json());
    assert.deepEqual(status, { status: 'online', source: 'hybrid' });
  });

  it('follows a mailbox moved to Exchange Online during a meeting, without a missed transition', async () => {
    const end = Math.ceil((Date.now() + 25_000) / 1000) * 1000;
    const meeting = busy(world.mailboxes, 'quinn@contoso.com', {
      subject: 'Migration weekend',
      start: Date.now() - MINUTE,
      end,
    });
    await world.waitForPresence('403', (p) => p.availability === 'Meeting' && p.note === 'Migration weekend');
    await move('quinn@contoso.com', 'exchangeOnline');
    await runMailboxCheck(wireMailboxCheck(getServices()));
    assert.ok((await lines()).includes('quinn@contoso.com moved to Exchange Online'));
    await world.waitFor(
      'the new subscription',
      async () => (await subscriptionSide('quinn@contoso.com')) === 'graph',
    );
    // A change after the move reaches PHONE-LiNK through the new side's notifications.
    world.mailboxes.updateEvent('quinn@contoso.com', meeting.id, { subject: 'Migration weekend (cloud)' });
    await world.waitForPresence('403', (p) => p.note === 'Migration weekend (cloud)');
    const afterMeeting = await world.waitForPresence('403', (p) => p.availability === 'Available', 60_000);
    assert.equal(afterMeeting.note, null);
    assert.ok(Date.now() >= end, 'the meeting end is pushed at its instant, not before');
  });

  it('follows a mailbox moved back to the Exchange Server (Graph ends its subscription)', async () => {
    await move('rita@contoso.com', 'exchangeServer');
    await world.waitFor(
      'the move back',
      async () => (await lines()).includes('rita@contoso.com moved to Exchange Server'),
      30_000,
    );
    await world.waitFor(
      'the EWS subscription',
      async () => (await subscriptionSide('rita@contoso.com')) === 'ews',
    );
    busy(world.mailboxes, 'rita@contoso.com', { subject: 'Back on premises' });
    const rita = await world.waitForPresence('404', (p) => p.note === 'Back on premises');
    assert.equal(rita.availability, 'Meeting');
  });

  it('the scan re-checks every route', async () => {
    await move('pete@contoso.com', 'exchangeOnline');
    assert.equal((await admin('/api/scan', { method: 'POST' })).status, 202);
    await world.waitFor('the re-check', async () => (await routeOf('pete@contoso.com')) === 'graph', 30_000);
    await world.waitFor(
      'the Graph subscription',
      async () => (await subscriptionSide('pete@contoso.com')) === 'graph',
    );
  });

  it('names the side that does not answer, and keeps serving the users of the other', async () => {
    // The Exchange Server asks to back off for a minute on every call from now on.
    mountedEws(world.exchange)?.sim.injectServerBusy(100_000, 60_000);
    assert.equal((await admin('/api/scan', { method: 'POST' })).status, 202);
    await world.waitFor(
      'the status to name the Exchange Server',
      async () => {
        const status = z.object({ status: z.string(), cause: z.string().nullable() });
        const answer = status.parse(await (await admin('/api/status')).json());
        return (
          answer.status === 'offline' &&
          (answer.cause ?? '').startsWith('Exchange Server (EWS) does not answer')
        );
      },
      30_000,
    );
    busy(world.mailboxes, 'olga@contoso.com', { subject: 'Still served', start: Date.now() - MINUTE });
    await world.waitForPresence('401', (p) => p.note === 'Still served');
  });
});
