// One size of the Graph path bench (graph.bench.ts runs it at 2,000 and 20,000 users, each in a
// process of its own, and prints the sizes side by side): BENCH_USERS users, 40 ms simulated
// Graph latency. It measures the full scan (first Graph request until every user has a
// subscription and a first push), Graph round trips and storage operations per user during the
// scan, webhook acknowledgements at 300 notifications/s and appointment changes reaching
// PHONE-LiNK both during the scan and after it, and the largest functions process's peak RSS.
// It prints its figures as one `BENCH_FIGURES <json>` line.
//
// The functions run as Azure runs them. Flex Consumption scales per function: all HTTP triggers
// scale together on instances of their own, and every other function scales on instances of its
// own, so in Azure the Graph webhook never shares a Node.js process (or its event loop) with the
// calendar-sync or presence queue workers, and each instance has its own memory. The bench starts
// one host process per scale group (flex-scale-groups.ts; same settings, same storage): the HTTP
// functions, calendar-sync-queue, calendar-changes-queue, presence, and the timers with
// scan-queue together. The memory figure is the largest process's peak RSS. The simulators run
// in this process; each Azurite in one of its own, which counts its requests (storage-counter.ts).
//
// The queue and timer hosts run at a lower CPU priority (nice BENCH_WORKER_NICE, default 10; 0
// turns it off). In Azure they run on instances of their own and take no CPU from the webhook's
// instance, nor from storage and Graph (Azurite and the simulators here); on a machine with a few
// cores a lower priority is the nearest a bench gets to that. BENCH_PAUSE_WORKERS=1 stops them
// (SIGSTOP) during the notification load after the scan, which shows the webhook's
// acknowledgement on its own.
//
// The hosts get the Node.js worker arguments deployed to Azure (node-worker-arguments.ts: a V8
// heap cap); BENCH_HOST_ARGS replaces them (space-separated; empty: none).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_ACCOUNT_NAME } from '../dev/azurite.ts';
import { startExchangeSimulator } from '../dev/exchange-sim/graph/exchange-simulator.ts';
import { REQUEST_KINDS } from '../dev/exchange-sim/graph/faults.ts';
import { graphSettingsFor } from '../dev/exchange-sim/graph/graph-app-settings.ts';
import { freePort } from '../dev/free-port.ts';
import { NODE_WORKER_ARGUMENTS } from '../dev/host/node-worker-arguments.ts';
import { startPhonelinkSimulator } from '../dev/phonelink-sim/phonelink-simulator.ts';
import { changeLags } from './change-lag.ts';
import { flexScaleGroups, type ScaleGroup } from './flex-scale-groups.ts';
import {
  type AckFigures,
  acksBetween,
  type LagFigures,
  lagFigures,
  type SizeFigures,
} from './graph-figures.ts';
import { startCountedAzurite } from './storage-counter.ts';

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
  const queues = await startCountedAzurite();
  stops.push(() => queues.azurite.stop());
  let storage = queues.azurite.connectionString;
  let tables = queues;
  if (!process.env.BENCH_ONE_AZURITE) {
    tables = await startCountedAzurite();
    stops.push(() => tables.azurite.stop());
    storage = storage.replace(
      /TableEndpoint=[^;]+/,
      `TableEndpoint=${tables.azurite.endpoints.table}/${DEV_ACCOUNT_NAME}`,
    );
  }
  const counter = {
    count: async () => ({ queue: (await queues.count()).queue, table: (await tables.count()).table }),
  };
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
  const byId = new Map(users.map((user) => [user.id, user]));
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
  const groups = flexScaleGroups(join(root, 'functions'), [
    'calendar-sync-queue',
    'calendar-changes-queue',
    'presence-queue',
  ]);
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
  let scanEnd = 0;
  // A scan that keeps to its target takes 3 ms a user; ten times that is a failure, not a figure.
  const scanLimitMs = Math.max(120_000, USERS * 30);
  const scanDone = async (): Promise<number> => {
    for (;;) {
      for (; seen < phonelink.pushes.length; seen++) pushed.add(phonelink.pushes[seen]?.userId ?? '');
      if (pushed.size >= USERS && exchange.subscriptions().length >= USERS) return Date.now();
      if (exitedEarly.length > 0) throw new Error(exitedEarly.join('; '));
      if (Date.now() - firstRequest > scanLimitMs) {
        throw new Error(
          `scan incomplete after ${scanLimitMs / 1000} s: ${pushed.size} pushed, ${exchange.subscriptions().length} subscribed`,
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
  // During the scan, once a tenth of the users are pushed (they are subscribed): notices at RATE
  // a second for those users, and changes of free users among them timed to their push.
  // BENCH_QUIET_SCAN=1: the scan alone (no notices or changes during it), as earlier benches measured it.
  const duringScan = (async () => {
    if (process.env.BENCH_QUIET_SCAN === '1') return null;
    const enough = Math.max(LAG_USERS, Math.floor(USERS / 10));
    while (pushed.size < enough && scanEnd === 0) await sleep(10);
    if (scanEnd !== 0) return null;
    const from = Date.now();
    const ready = [...pushed];
    const free = users.filter((user, i) => i % 3 === 1 && pushed.has(user.id)).slice(0, LAG_USERS);
    const [lags] = await Promise.all([
      changeLags(exchange, phonelink, free),
      noticeLoad(
        () => scanEnd !== 0,
        (i) => ready[(i * 7) % ready.length] ?? '',
      ),
    ]);
    return { from, lags };
  })();
  scanEnd = await scanDone();
  const scanSeconds = (scanEnd - firstRequest) / 1000;
  const roundTripsPerUser = exchange.requestCount() / USERS;
  const storageAtScan = await counter.count();
  const during = await duringScan;
  await exchange.notificationsIdle();
  const ackDuring: AckFigures | null =
    during === null ? null : acksBetween(exchange.deliveries(), during.from, scanEnd);
  const lagDuring: LagFigures | null = during === null ? null : lagFigures(during.lags);
  if (process.env.BENCH_TRACE) {
    const handshakes = exchange.deliveries().filter((d) => d.kind === 'validation');
    console.log(
      `  after the scan: throttled ${exchange.throttledCount()}, operations ${['calendarView', 'mailboxSettings', 'subscriptions', 'batch', 'token'].map((k) => `${k} ${exchange.operationCount(k as 'batch')}`).join(', ')}, ` +
        `round trips ${REQUEST_KINDS.filter((k) => exchange.requestCount(k) > 0)
          .map((k) => `${k} ${exchange.requestCount(k)}`)
          .join(', ')}, storage queue ${storageAtScan.queue} table ${storageAtScan.table}, ` +
        `PHONE-LiNK requests ${phonelink.requests.length}, ` +
        `handshakes ${handshakes.length} (failed ${handshakes.filter((d) => d.status !== 200).length})`,
    );
  }

  await sleep(2_000);
  // Changes reflected after the scan: 50 users free now (their first meeting is half an hour
  // away), each appointment created, changed and deleted (those timed during the scan are free
  // again: their appointment was deleted last).
  const free = users.filter((_, i) => i % 3 === 1).slice(0, LAG_USERS);
  const lagAfter = lagFigures(await changeLags(exchange, phonelink, free));

  // Change notifications at RATE a second after the scan, sent by the simulated Graph as it sends them.
  await exchange.notificationsIdle();
  const workers = hosts.filter((host) => !host.group.servesHttp).map((host) => host.process);
  if (process.env.BENCH_PAUSE_WORKERS) for (const worker of workers) worker.kill('SIGSTOP');
  const loadStart = Date.now();
  await noticeLoad(
    (i) => i >= RATE * LOAD_SECONDS,
    (i) => users[(i * 7) % USERS]?.id ?? '',
  );
  await exchange.notificationsIdle();
  if (process.env.BENCH_PAUSE_WORKERS) for (const worker of workers) worker.kill('SIGCONT');
  const ackAfter = acksBetween(exchange.deliveries(), loadStart, Date.now());
  await sleep(3_000); // let the re-reads the load caused run, for the memory peak
  if (exitedEarly.length > 0) throw new Error(exitedEarly.join('; '));

  // VmHWM only rises, so read at the end it covers the scan and the loads.
  const groupRss = hosts.map((host) => ({ name: host.group.name, mb: peakRssMb(host.process) }));
  const figures: SizeFigures = {
    users: USERS,
    scanSeconds,
    roundTripsPerUser,
    storagePerUser: (storageAtScan.queue + storageAtScan.table) / USERS,
    rssMb: Math.max(...groupRss.map((group) => group.mb)),
    rssPerGroup: Object.fromEntries(groupRss.map((group) => [group.name, Math.round(group.mb)])),
    ackDuring,
    ackAfter,
    lagDuring,
    lagAfter,
  };
  console.log(`BENCH_FIGURES ${JSON.stringify(figures)}`);

  /** One new appointment a 1/RATE s for the user `pick(i)` names, until `done(i)` (checked before each). */
  async function noticeLoad(done: (i: number) => boolean, pick: (i: number) => string): Promise<void> {
    const from = Date.now();
    for (let i = 0; !done(i); i++) {
      const wait = from + (i * 1000) / RATE - Date.now();
      if (wait > 0) await sleep(wait);
      const email = byId.get(pick(i))?.email;
      if (email === undefined) continue;
      const start = now + (2 + (i % 48)) * 60 * MINUTE;
      exchange.mailboxes.createEvent(email, {
        subject: `Load ${i}`,
        start,
        end: start + 30 * MINUTE,
        showAs: 'busy',
      });
    }
  }
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

/** VmHWM: the most resident memory the process has had, in MB. */
function peakRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}
