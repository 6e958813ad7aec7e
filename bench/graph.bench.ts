// The Graph path at scale (issue targets): 2,000 users, 40 ms simulated Graph latency.
// Full scan time from the first Graph request until every user has a subscription and a first
// push (≤ 10 s), Graph round trips per user (≤ 0.2), webhook acknowledgement p99 at 300
// notifications/s (≤ 50 ms), a created, changed or deleted appointment reaching PHONE-LiNK
// (p95 ≤ 3 s), peak RSS of a functions process (≤ 300 MB). Exits 1 on a miss.
//
// The functions run as Azure runs them. Flex Consumption scales per function: all HTTP triggers
// scale together on instances of their own, and every other function scales on instances of its
// own, so in Azure the Graph webhook never shares a Node.js process (or its event loop) with the
// calendar-sync or presence queue workers, and each instance has its own memory. The bench starts
// one host process per scale group (flex-scale-groups.ts; same settings, same storage): the HTTP
// functions, calendar-sync-queue, presence, and the timers with scan-queue together. The memory
// figure is the largest process's peak RSS (each group's is printed too). Azurite and the
// simulators run in this process.
//
// The queue and timer hosts run at a lower CPU priority (nice BENCH_WORKER_NICE, default 10; 0
// turns it off). In Azure they run on instances of their own and take no CPU from the webhook's
// instance, nor from storage and Graph (Azurite and the simulators here); on a machine with a few
// cores a lower priority is the nearest a bench gets to that (the scan, which those hosts do,
// runs at that priority too). BENCH_PAUSE_WORKERS=1 stops them (SIGSTOP) during the notification
// load, which shows the webhook's acknowledgement on its own, with nothing else using storage.
//
// The hosts get the Node.js worker arguments deployed to Azure (node-worker-arguments.ts: a V8
// heap cap); BENCH_HOST_ARGS replaces them (space-separated; empty: none).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_ACCOUNT_NAME, startAzurite } from '../dev/azurite.ts';
import { startExchangeSimulator } from '../dev/exchange-sim/graph/exchange-simulator.ts';
import { REQUEST_KINDS } from '../dev/exchange-sim/graph/faults.ts';
import { graphSettingsFor } from '../dev/exchange-sim/graph/graph-app-settings.ts';
import { freePort } from '../dev/free-port.ts';
import { NODE_WORKER_ARGUMENTS } from '../dev/host/node-worker-arguments.ts';
import { startPhonelinkSimulator } from '../dev/phonelink-sim/phonelink-simulator.ts';
import { changeLags } from './change-lag.ts';
import { flexScaleGroups, type ScaleGroup } from './flex-scale-groups.ts';

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const LATENCY_MS = 40;
const RATE = 300;
const LOAD_SECONDS = 10;
const LAG_USERS = 50;
const WORKER_NICE = Number(process.env.BENCH_WORKER_NICE ?? 10);
const MINUTE = 60_000;
const TENANT = '7d1e5f0c-3a41-4b7e-9d2c-0a1b2c3d4e5f';
const CLIENT = { clientId: 'b3d5f7a9-1b3d-4f5a-8c7e-9d0f1a2b3c4d', clientSecret: 'bench-secret' };
const PHONELINK_KEY = 'bench-phonelink-key';

const root = join(import.meta.dirname, '..');
const stops: (() => Promise<unknown>)[] = [];
const hosts: { readonly group: ScaleGroup; readonly process: ChildProcess }[] = [];
/** A host that exits before the end (out of memory, say) fails the bench rather than stalling it. */
const exitedEarly: string[] = [];

try {
  // Azure runs queues and tables as separate services; Azurite serves both from one Node.js
  // process, where a webhook's queue write would wait behind the scan's table traffic. So the
  // bench gives each its own Azurite (BENCH_ONE_AZURITE=1 measures with a single one).
  const azurite = await startAzurite();
  stops.push(() => azurite.stop());
  let storage = azurite.connectionString;
  if (!process.env.BENCH_ONE_AZURITE) {
    const tables = await startAzurite();
    stops.push(() => tables.stop());
    storage = storage.replace(
      /TableEndpoint=[^;]+/,
      `TableEndpoint=${tables.endpoints.table}/${DEV_ACCOUNT_NAME}`,
    );
  }
  const exchange = await startExchangeSimulator({
    tenantId: TENANT,
    clients: [CLIENT],
    latencyMs: LATENCY_MS,
  });
  stops.push(() => exchange.stop());
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const users = Array.from({ length: USERS }, (_, i) => ({
    id: String(10_000 + i),
    name: `User ${i}`,
    email: `user${i}@contoso.com`,
    calendarIntegration: true,
  }));
  for (const [i, user] of users.entries()) {
    exchange.mailboxes.addUser({ email: user.email, timeZone: 'W. Europe Standard Time' });
    // A working week: one meeting now for a third of the users, a few later on.
    for (let day = 0; day < 5; day++) {
      const start = now + (day * 24 * 60 + (i % 3) * 60 - 30) * MINUTE;
      exchange.mailboxes.createEvent(user.email, {
        subject: `Meeting ${day}`,
        start,
        end: start + 60 * MINUTE,
        showAs: 'busy',
      });
    }
  }
  const phonelink = await startPhonelinkSimulator({ apiKey: PHONELINK_KEY, users, pageSize: 500 });
  stops.push(() => phonelink.stop());

  const port = await freePort();
  const hostUrl = `http://127.0.0.1:${port}`;
  const cwd = await mkdtemp(join(tmpdir(), 'graph-bench-'));
  stops.push(() => rm(cwd, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: exchange.caPath,
    HOST: '127.0.0.1',
    AzureWebJobsStorage: storage,
    CALENDAR_SOURCE: 'graph',
    CALLBACK_URL: hostUrl,
    ...graphSettingsFor(exchange, CLIENT),
    PHONELINK_URL: phonelink.url,
    PHONELINK_API_KEY: PHONELINK_KEY,
    PHONELINK_WEBHOOK_SECRET: 'bench-webhook-secret-0123456789abcdef',
    ADMIN_API_KEY: 'bench-admin-key-0123456789abcdefghijk',
    INTEGRATION_ENABLED: 'true',
    SCAN_SCHEDULE: '0 0 3 * * 1',
    SCAN_WINDOW_DAYS: '7',
  };
  const nodeArgs = (process.env.BENCH_HOST_ARGS ?? NODE_WORKER_ARGUMENTS)
    .split(/\s+/)
    .filter((arg) => arg !== '');
  const groups = flexScaleGroups(join(root, 'functions'), ['calendar-sync-queue', 'presence-queue']);
  // In the order listed (the timers' group last): each host listens before the next starts, so the
  // start-up scan finds its queue workers running, as in one host, which starts timers last.
  for (const group of groups) {
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'dev/host/main.ts')], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...env,
        // Only the HTTP group is called back; the others take any free port.
        PORT: group.servesHttp ? String(port) : '0',
        ...Object.fromEntries(
          group.functions.map((name, i) => [`AzureFunctionsJobHost__functions__${i}`, name]),
        ),
      },
    });
    hosts.push({ group, process: child });
    if (!group.servesHttp) setPriority(child.pid ?? 0, WORKER_NICE);
    await listening(group.name, child);
    child.once('exit', (code, signal) =>
      exitedEarly.push(`the ${group.name} host exited (${signal ?? code})`),
    );
  }

  // The scan starts by itself (start-up timer); the clock starts at the first Graph request.
  const started = Date.now();
  let firstRequest = 0;
  while (firstRequest === 0) {
    if (exchange.requestCount() > 0) firstRequest = Date.now();
    else if (Date.now() - started > 60_000) throw new Error('the functions host never called Graph');
    else await sleep(5);
  }
  const pushed = new Set<string>();
  let seen = 0;
  const scanDone = async (): Promise<number> => {
    for (;;) {
      for (; seen < phonelink.pushes.length; seen++) pushed.add(phonelink.pushes[seen]?.userId ?? '');
      if (pushed.size >= USERS && exchange.subscriptions().length >= USERS) return Date.now();
      if (exitedEarly.length > 0) throw new Error(exitedEarly.join('; '));
      if (Date.now() - firstRequest > 120_000) {
        throw new Error(
          `scan incomplete after 120 s: ${pushed.size} pushed, ${exchange.subscriptions().length} subscribed`,
        );
      }
      if (process.env.BENCH_TRACE && Date.now() % 500 < 10) {
        console.log(
          `  +${Date.now() - firstRequest} ms: ${exchange.requestCount()} Graph requests, ${exchange.subscriptions().length} subscribed, ${pushed.size} pushed`,
        );
      }
      await sleep(10);
    }
  };
  const scanEnd = await scanDone();
  const scanSeconds = (scanEnd - firstRequest) / 1000;
  const roundTripsPerUser = exchange.requestCount() / USERS;
  const scanRss = hosts.map(
    (host) =>
      `${host.group.name} ${peakRssMb(host.process).toFixed(0)} MB, ${cpuSeconds(host.process).toFixed(1)} s CPU`,
  );
  if (process.env.BENCH_TRACE) {
    const handshakes = exchange.deliveries().filter((d) => d.kind === 'validation');
    console.log(
      `  peak RSS and CPU time after the scan: ${scanRss.join('; ')}; throttled ${exchange.throttledCount()}, operations ${['calendarView', 'mailboxSettings', 'subscriptions', 'batch', 'token'].map((k) => `${k} ${exchange.operationCount(k as 'batch')}`).join(', ')}, ` +
        `round trips ${REQUEST_KINDS.filter((k) => exchange.requestCount(k) > 0)
          .map((k) => `${k} ${exchange.requestCount(k)}`)
          .join(', ')}, ` +
        `PHONE-LiNK requests ${phonelink.requests.length} (${[...new Set(phonelink.requests.map((r) => r.status))].map((st) => `${st}: ${phonelink.requests.filter((r) => r.status === st).length}`).join(', ')}), ` +
        `handshakes ${handshakes.length} (failed ${handshakes.filter((d) => d.status !== 200).length}, max ${Math.max(...handshakes.map((d) => d.durationMs))} ms)`,
    );
  }

  await sleep(2_000);
  // Changes reflected, on a system that is not flooded: 50 users free now (their first meeting
  // is half an hour away), each appointment created, changed and deleted.
  const free = users.filter((_, i) => i % 3 === 1).slice(0, LAG_USERS);
  const lags = (await changeLags(exchange, phonelink, free)).sort((a, b) => a - b);
  const lagP95 = lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.95))] ?? Number.NaN;
  const lagP50 = lags[Math.floor(lags.length * 0.5)] ?? Number.NaN;

  // Change notifications at 300/s, sent by the simulated Graph as it sends them (its own batching).
  await exchange.notificationsIdle();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const workers = hosts.filter((host) => !host.group.servesHttp).map((host) => host.process);
  if (process.env.BENCH_PAUSE_WORKERS) for (const worker of workers) worker.kill('SIGSTOP');
  const loadStart = Date.now();
  const total = RATE * LOAD_SECONDS;
  for (let i = 0; i < total; i++) {
    const due = loadStart + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const email = users[(i * 7) % USERS]?.email ?? '';
    const start = now + (2 + (i % 48)) * 60 * MINUTE;
    exchange.mailboxes.createEvent(email, {
      subject: `Load ${i}`,
      start,
      end: start + 30 * MINUTE,
      showAs: 'busy',
    });
  }
  await exchange.notificationsIdle();
  if (process.env.BENCH_PAUSE_WORKERS) for (const worker of workers) worker.kill('SIGCONT');
  lag.disable();
  if (process.env.BENCH_TRACE)
    console.log(
      `  bench process event-loop delay during the load: p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`,
    );
  const acks = exchange
    .deliveries()
    .filter((d) => d.kind === 'change' && d.startedAt >= loadStart)
    .map((d) => d.durationMs)
    .sort((a, b) => a - b);
  const delivered = exchange
    .deliveries()
    .filter((d) => d.kind === 'change' && d.startedAt >= loadStart)
    .reduce((sum, d) => sum + d.count, 0);
  const p99 = acks[Math.min(acks.length - 1, Math.floor(acks.length * 0.99))] ?? Number.NaN;
  const p50 = acks[Math.floor(acks.length * 0.5)] ?? Number.NaN;
  const failed = exchange
    .deliveries()
    .filter((d) => d.kind === 'change' && d.startedAt >= loadStart && d.status !== 202);
  const failedAcks = failed.length;
  if (process.env.BENCH_TRACE && failedAcks > 0)
    console.log(
      `  not 202: ${failed.map((d) => `${d.status ?? 'no answer'} after ${d.durationMs.toFixed(0)} ms`).join(', ')}`,
    );
  await sleep(3_000); // let the re-reads the load caused run, for the memory peak
  if (exitedEarly.length > 0) throw new Error(exitedEarly.join('; '));

  // VmHWM only rises, so read at the end it covers the scan and the load.
  const groupRss = hosts.map((host) => ({ name: host.group.name, mb: peakRssMb(host.process) }));
  const rss = Math.max(...groupRss.map((group) => group.mb));

  const rows = [
    {
      label: `full scan, ${USERS} users (first Graph request → all subscribed and pushed)`,
      value: `${scanSeconds.toFixed(2)} s`,
      ok: scanSeconds <= 10,
      target: '≤ 10 s',
    },
    {
      label: 'Graph round trips per user',
      value: roundTripsPerUser.toFixed(3),
      ok: roundTripsPerUser <= 0.2,
      target: '≤ 0.2',
    },
    {
      label: `webhook acknowledgement at ${RATE} notifications/s (${delivered} notices, ${acks.length} POSTs)`,
      value: `p99 ${p99.toFixed(1)} ms (p50 ${p50.toFixed(1)} ms, ${failedAcks} not 202)`,
      ok: p99 <= 50 && failedAcks === 0,
      target: 'p99 ≤ 50 ms',
    },
    {
      label: `appointment created, changed or deleted → push that shows it (${lags.length} changes, ${free.length} users)`,
      value: `p95 ${(lagP95 / 1000).toFixed(2)} s (p50 ${(lagP50 / 1000).toFixed(2)} s)`,
      ok: lagP95 <= 3000,
      target: 'p95 ≤ 3 s',
    },
    {
      label: 'peak RSS of the largest functions process (one per Flex scale group)',
      value: `${rss.toFixed(0)} MB`,
      ok: rss <= 300,
      target: '≤ 300 MB',
    },
  ];
  console.log(`graph path: ${USERS} users, ${LATENCY_MS} ms simulated Graph latency`);
  for (const row of rows) {
    console.log(
      `  ${row.label.padEnd(84)} ${row.value.padEnd(40)} target ${row.target}  ${row.ok ? 'OK' : 'MISSED'}`,
    );
  }
  console.log(
    `  peak RSS per scale group: ${groupRss.map((g) => `${g.name} ${g.mb.toFixed(0)} MB`).join(', ')}`,
  );
  if (rows.some((row) => !row.ok)) process.exitCode = 1;
} finally {
  await Promise.all(hosts.map((host) => stopHost(host.process)));
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}

/** Resolves once the host says it listens (its stdout is read, then drained, from then on). */
function listening(name: string, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes('Functions host listening on')) return;
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.stdout?.resume();
      resolve();
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`the ${name} host exited (${code}) before listening`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT'); // in case BENCH_PAUSE_WORKERS left it stopped
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** User and system CPU time of the process (clock ticks of 1/100 s, Linux's USER_HZ). */
function cpuSeconds(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid ?? 0}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM: the most resident memory the process has had, in MB. */
function peakRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}
