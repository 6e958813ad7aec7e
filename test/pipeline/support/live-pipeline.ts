import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type RunningAzurite, startAzurite } from '../../../dev/azurite.ts';
import {
  type PhonelinkSimulator,
  type SimUser,
  startPhonelinkSimulator,
} from '../../../dev/phonelink-sim/phonelink-simulator.ts';
import { createServices, type Services } from '../../../shared/app/services.ts';
import { DEFAULT_SCAN_SCHEDULE, loadSettings } from '../../../shared/config/load-settings.ts';
import type { Appointment, Instant } from '../../../shared/presence/model.ts';
import { QUEUES } from '../../../shared/queues/messages.ts';
import { StorageWorkQueues } from '../../../shared/queues/storage-work-queues.ts';
import { createStorageClients } from '../../../shared/storage/storage-clients.ts';
import { storeReadCalendar } from './stored-calendar.ts';

export const LIVE_API_KEY = 'live-api-key';
export const LIVE_WEBHOOK_SECRET = 'live-webhook-secret-0123456789abcdef';
const HOST_SCRIPT = join(import.meta.dirname, 'host-process.ts');

export interface HostProcess {
  readonly url: string;
  /** SIGKILL: no grace, messages under way stay leased until the lease runs out. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole presence pipeline as it runs for real: Azurite, the PHONE-LiNK simulator and the
 * functions host (a child process, so a test can kill it). Tests store appointments and queue
 * a recalculation, as calendar sync does, and watch what PHONE-LiNK receives.
 */
export interface LivePipeline {
  readonly azurite: RunningAzurite;
  readonly sim: PhonelinkSimulator;
  /** The same stores and queues the functions use. */
  readonly services: Services;
  readonly queues: StorageWorkQueues;
  host: HostProcess;
  startHost(): Promise<HostProcess>;
  /** Stores the user as integrated with these appointments (read now) and queues a recalculation. */
  seed(userId: string, appointments: readonly Appointment[]): Promise<void>;
  logLines(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface LivePipelineOptions {
  readonly users: readonly SimUser[];
  /** How long the host leases a message while its function runs (a killed host's messages reappear after it). */
  readonly queueLeaseMs?: number;
  /** The host runs the scan timer too (its start-up run, on SCAN_SCHEDULE's default). */
  readonly scanTimer?: boolean;
}

export async function startLivePipeline(options: LivePipelineOptions): Promise<LivePipeline> {
  const azurite = await startAzurite();
  const sim = await startPhonelinkSimulator({ apiKey: LIVE_API_KEY, users: options.users });
  const env = {
    AzureWebJobsStorage: azurite.connectionString,
    PHONELINK_URL: sim.url,
    PHONELINK_API_KEY: LIVE_API_KEY,
    PHONELINK_WEBHOOK_SECRET: LIVE_WEBHOOK_SECRET,
    INTEGRATION_ENABLED: 'true',
    ...(options.scanTimer === true ? { PIPELINE_SCAN_TIMER: '1', SCAN_SCHEDULE: DEFAULT_SCAN_SCHEDULE } : {}),
  };
  const services = createServices(loadSettings(env));
  const queues = new StorageWorkQueues(createStorageClients(services.settings.storage).queueService);
  await queues.createAll();
  const startHost = () => spawnHost(env, options.queueLeaseMs);
  const pipeline: LivePipeline = {
    azurite,
    sim,
    services,
    queues,
    host: await startHost(),
    startHost,
    async seed(userId, appointments) {
      const readAt: Instant = Date.now();
      const window = { start: readAt - 3600_000, end: readAt + 7 * 24 * 3600_000 };
      await storeReadCalendar(services, userId, appointments, { readAt, window });
      await queues.send(QUEUES.presence, { userId, reason: 'calendar-changed' });
    },
    async logLines() {
      return (await services.logReader.readAfter(null, 10_000)).map((e) => e.line);
    },
    async stop() {
      await pipeline.host.stop();
      await sim.stop();
      await azurite.stop();
    },
  };
  return pipeline;
}

function spawnHost(env: Record<string, string>, leaseMs: number | undefined): Promise<HostProcess> {
  return spawnHostScript(HOST_SCRIPT, {
    ...env,
    ...(leaseMs === undefined ? {} : { PIPELINE_QUEUE_LEASE_MS: String(leaseMs) }),
  });
}

/** A host script as a child process (it prints `HOST_URL <url>` once it listens), with these settings over the test's environment. */
export async function spawnHostScript(script: string, env: Record<string, string>): Promise<HostProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await readHostUrl(child);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

function readHostUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error('host has no stdout'));
      return;
    }
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('functions host did not start within 30 s')), 30_000);
    lines.on('line', (line) => {
      const match = /^HOST_URL (\S+)/.exec(line);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`functions host exited (${code}) before listening`));
    });
  });
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The next whole second at least `ms` from now: appointments start on whole seconds, as on the wire. */
export function wholeSecondIn(ms: number): Instant {
  return Math.ceil((Date.now() + ms) / 1000) * 1000;
}
