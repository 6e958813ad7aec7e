// A hybrid organization (CALENDAR_SOURCE=hybrid) at scale: N users (default 2,000), half on
// Exchange Online (Graph) and half on the Exchange Server (EWS), 40 ms simulated latency, served
// through the functions host and Azurite. Reports the start-up scan time (until every user of
// a side has a subscription and a first push, per side and overall) and the round trips per user
// on each side, the route checks included (Graph is asked first for every mailbox; the ones it
// refuses cost EWS calls). Exits 1 on a miss. BENCH_HYBRID_USERS sets N.
import { mountedEws } from '../dev/exchange-sim/ews/mount-ews.ts';
import { homesOf, type MailboxHome } from '../dev/exchange-sim/organization-split.ts';
import { getServices } from '../shared/app/services.ts';
import { startExchangeWorld } from '../test/graph/support/exchange-world.ts';

const USERS = Number(process.env.BENCH_HYBRID_USERS ?? 2000);
const LATENCY_MS = 40;
const MINUTE = 60_000;

const now = Math.floor(Date.now() / MINUTE) * MINUTE;
const homeOf = (i: number): MailboxHome => (i % 2 === 0 ? 'exchangeOnline' : 'exchangeServer');
const users = Array.from({ length: USERS }, (_, i) => ({
  id: String(10_000 + i),
  email: `user${i}@contoso.com`,
  home: homeOf(i),
}));
const started = performance.now();
const world = await startExchangeWorld({
  source: 'hybrid',
  users,
  latencyMs: LATENCY_MS,
  seed: (mailboxes) => {
    for (const [i, user] of users.entries()) {
      homesOf(mailboxes).place(user.email, user.home);
      for (let day = 0; day < 3; day++) {
        const start = now + (day * 24 * 60 + (i % 3) * 60) * MINUTE;
        mailboxes.createEvent(user.email, { subject: `Meeting ${day}`, start, end: start + 60 * MINUTE });
      }
    }
  },
});
const results: { name: string; value: string; ok: boolean; target: string }[] = [];
try {
  const sim = mountedEws(world.exchange)?.sim;
  if (sim === undefined) throw new Error('no EWS front-end');
  const doneAt = new Map<MailboxHome, number>();
  const sideUsers = (home: MailboxHome) => users.filter((u) => u.home === home);
  await world.waitFor(
    'every user subscribed and pushed',
    async () => {
      const subscribed = new Set((await getServices().subscriptions.list()).map((s) => s.userId));
      for (const home of ['exchangeOnline', 'exchangeServer'] as const) {
        if (doneAt.has(home)) continue;
        if (sideUsers(home).every((u) => subscribed.has(u.id) && world.presenceOf(u.id) !== null))
          doneAt.set(home, performance.now());
      }
      return doneAt.size === 2;
    },
    10 * MINUTE,
  );
  const seconds = (home: MailboxHome) => (((doneAt.get(home) ?? Number.NaN) - started) / 1000).toFixed(1);
  const total = (Math.max(...doneAt.values()) - started) / 1000;
  const cloud = sideUsers('exchangeOnline').length;
  const onPremises = sideUsers('exchangeServer').length;
  const graphPerUser = world.exchange.graphRequestCount() / cloud;
  const ewsPerUser = sim.requests.length / onPremises;
  results.push({
    name: `start-up scan of ${USERS} users, half on each side (host start included)`,
    value: `${total.toFixed(1)} s (Exchange Online users done at ${seconds('exchangeOnline')} s, Exchange Server users at ${seconds('exchangeServer')} s)`,
    ok: total <= 60,
    target: '≤ 60 s',
  });
  results.push({
    name: 'Graph round trips per Exchange Online user',
    value: `${graphPerUser.toFixed(2)} (${world.exchange.graphRequestCount()} $batch and other requests, the route checks of all ${USERS} included)`,
    ok: graphPerUser <= 0.5,
    target: '≤ 0.5',
  });
  results.push({
    name: 'EWS round trips per Exchange Server user',
    value: `${ewsPerUser.toFixed(2)} (${sim.requests.length} requests, connect and route checks included)`,
    ok: ewsPerUser <= 6.5,
    target: '≤ 6.5 (EWS has no batch)',
  });
} finally {
  await world.stop();
}

console.log('hybrid organization:');
for (const r of results)
  console.log(`  ${r.ok ? 'ok  ' : 'MISS'} ${r.name}: ${r.value} (target ${r.target})`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
