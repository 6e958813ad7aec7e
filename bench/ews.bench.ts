// The EWS path: (1) the adapter reading N users (calendar view, out-of-office and zone, push
// subscription) from the simulated EWS over NTLMv2: wall time and EWS round trips per user;
// (2) the push receiver through the functions host and Azurite: acknowledgement time of
// SendNotification (status pings and changes) at a steady rate, against SPEC §5's 3 s.
// Exits 1 on a miss.
import { setTimeout as sleep } from 'node:timers/promises';
import { mountEws, mountedEws } from '../dev/exchange-sim/ews/mount-ews.ts';
import { startExchangeSimulator } from '../dev/exchange-sim/graph/exchange-simulator.ts';
import { EwsCalendarSource } from '../shared/calendar/ews/ews-calendar-source.ts';
import { EwsTransport } from '../shared/calendar/ews/ews-transport.ts';
import { Secret } from '../shared/config/secret.ts';
import { aSendNotification } from '../test/ews/send-notification-builder.ts';
import { startExchangeWorld } from '../test/graph/support/exchange-world.ts';

const USERS = Number(process.env.BENCH_EWS_USERS ?? 500);
const RATE = 100;
const LOAD_SECONDS = 10;
const MINUTE = 60_000;
const results: { name: string; value: string; ok: boolean; target: string }[] = [];

// (1) The adapter against the simulated EWS.
{
  const exchange = await startExchangeSimulator({ tenantId: 'contoso', clients: [] });
  const account = { username: 'CONTOSO\\svc-presence', password: 'bench-password', impersonation: true };
  const { sim, url } = mountEws(exchange, { accounts: [account] });
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const mailboxes = Array.from({ length: USERS }, (_, i) => ({
    userId: String(i),
    email: `user${i}@contoso.com`,
  }));
  for (const [i, mailbox] of mailboxes.entries()) {
    exchange.mailboxes.addUser({ email: mailbox.email });
    for (let day = 0; day < 5; day++) {
      const start = now + (day * 24 * 60 + (i % 3) * 60) * MINUTE;
      exchange.mailboxes.createEvent(mailbox.email, {
        subject: `Meeting ${day}`,
        start,
        end: start + 60 * MINUTE,
      });
    }
  }
  const transport = new EwsTransport({
    url,
    auth: 'ntlm',
    username: account.username,
    password: new Secret(account.password),
    ca: exchange.caPem,
  });
  const source = new EwsCalendarSource(transport, { callbackUrl: new URL('http://127.0.0.1:9') });
  const started = performance.now();
  const window = { start: now, end: now + 7 * 24 * 60 * MINUTE };
  const [calendars, outOfOffice, subscriptions] = await Promise.all([
    source.readCalendars(mailboxes, window),
    source.readOutOfOffice(mailboxes),
    source.subscribe(mailboxes.map((mailbox) => ({ mailbox, existing: null }))),
  ]);
  const elapsed = performance.now() - started;
  const failed = [calendars, outOfOffice, subscriptions].reduce(
    (sum, map) => sum + [...map.values()].filter((r) => !r.ok).length,
    0,
  );
  const perUser = sim.requests.length / USERS;
  results.push({
    name: `scan of ${USERS} users (read, out-of-office + zone, subscribe)`,
    value: `${(elapsed / 1000).toFixed(2)} s, ${perUser.toFixed(2)} EWS round trips per user, ${failed} failed`,
    ok: failed === 0 && perUser <= 4.05,
    target: '≤ 4 round trips per user (EWS has no batch), none failed',
  });
  transport.close();
  sim.close();
  await exchange.stop();
}

// (2) The receiver through the functions host.
{
  const users = Array.from({ length: 20 }, (_, i) => ({
    id: String(500 + i),
    email: `user${500 + i}@contoso.com`,
  }));
  const world = await startExchangeWorld({ source: 'ews', users });
  try {
    const sim = mountedEws(world.exchange)?.sim;
    if (sim === undefined) throw new Error('no EWS front-end');
    await world.waitFor('every user subscribed', () => sim.subscriptionIds().length === users.length, 60_000);
    // Only the subscriptions the service holds (a user synced twice at start-up has a spare one,
    // which the service answers Unsubscribe, as it should).
    const ids: string[] = [];
    for (const id of sim.subscriptionIds()) {
      const answer = await world.post('/api/notifications/ews', aSendNotification({ subscriptionId: id }), {
        'content-type': 'text/xml; charset=utf-8',
      });
      if ((await answer.text()).includes('<SubscriptionStatus>OK<')) ids.push(id);
    }
    const acks: number[] = [];
    let notOk = 0;
    const send = async (i: number) => {
      const id = ids[i % ids.length] ?? '';
      // One in ten is a change (a calendar-sync job is queued); the rest are status pings.
      const events =
        i % 10 === 0
          ? `<t:ModifiedEvent><t:Watermark>w${i}</t:Watermark><t:TimeStamp>${new Date().toISOString()}</t:TimeStamp><t:ItemId Id="x${i}"/><t:ParentFolderId Id="cal"/></t:ModifiedEvent>`
          : undefined;
      const begun = performance.now();
      const answer = await world.post(
        '/api/notifications/ews',
        aSendNotification({ subscriptionId: id, ...(events === undefined ? {} : { events }) }),
        { 'content-type': 'text/xml; charset=utf-8' },
      );
      const text = await answer.text();
      acks.push(performance.now() - begun);
      if (answer.status !== 200 || !text.includes('<SubscriptionStatus>OK<')) notOk += 1;
    };
    const inFlight: Promise<void>[] = [];
    const total = RATE * LOAD_SECONDS;
    const t0 = performance.now();
    for (let i = 0; i < total; i += 1) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(send(i));
    }
    await Promise.all(inFlight);
    acks.sort((a, b) => a - b);
    const at = (q: number) => acks[Math.min(acks.length - 1, Math.floor(acks.length * q))] ?? Number.NaN;
    results.push({
      name: `SendNotification acknowledgement at ${RATE}/s for ${LOAD_SECONDS} s`,
      value: `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms (${notOk} not OK)`,
      ok: at(0.99) <= 3_000 && notOk === 0,
      target: 'p99 ≤ 3 s (SPEC §5), all OK',
    });
  } finally {
    await world.stop();
  }
}

console.log('ews path:');
for (const r of results)
  console.log(`  ${r.ok ? 'ok  ' : 'MISS'} ${r.name}: ${r.value} (target ${r.target})`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
