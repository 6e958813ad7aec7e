import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { QueueServiceClient } from '@azure/storage-queue';
import { loadSettings, readLocalSettings } from '../../shared/config/load-settings.ts';
import { AppError } from '../../shared/errors.ts';
import type { AdminLog } from '../../shared/log/admin-log.ts';
import {
  definedFunctions,
  type FunctionDefinition,
  type HttpFunction,
  type QueueFunction,
  type TimerFunction,
} from '../../shared/runtime/define-function.ts';
import { createStorageClients } from '../../shared/storage/storage-clients.ts';
import { Table } from '../../shared/storage/table.ts';
import { TableAdminLog } from '../../shared/storage/table-admin-log.ts';
import { readHostJson } from './host-json.ts';
import { startHttpTriggerServer } from './http-trigger-server.ts';
import { type QueueListener, startQueueListener } from './queue-listener.ts';
import { nextRunFunction, resolveSchedule, startTimers } from './timer-scheduler.ts';

/**
 * The local Azure Functions host (Core Tools cannot be installed here): it loads the entry
 * points in functions/ (each defined once with define-function.ts, which also registers them
 * with the real runtime for `func start` and Azure) and serves HTTP, timer and queue triggers.
 * Like Core Tools, it puts local.settings.json `Values` into the environment (without
 * overriding what is already set) before the functions load.
 */
export interface FunctionsHostOptions {
  /** 0 = any free port. */
  readonly port: number;
  readonly hostname?: string;
  /** Folder of entry points (every `*.ts`/`*.js`), default `functions/` of the project. */
  readonly functionsDir?: string;
  /** Definitions to serve instead of a folder. */
  readonly functions?: readonly FunctionDefinition[];
  readonly hostJsonPath?: string;
  /** Folder holding local.settings.json; default the working directory. */
  readonly settingsDir?: string;
  /** Environment values set for the functions (restored on stop). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long a queue message is leased while its function runs (renewed); default 30 s. */
  readonly queueLeaseMs?: number;
  /** How long stop() waits for queue functions under way; default 10 s. */
  readonly stopGraceMs?: number;
  /** Where queue failures and poison moves are logged for administrators; default the admin log table. */
  readonly adminLog?: AdminLog;
  /** Console output; default console.log. */
  readonly print?: (line: string) => void;
}

export interface RunningFunctionsHost {
  /** Base URL, e.g. http://127.0.0.1:7071 (routes are under /api). */
  readonly url: string;
  readonly functions: readonly FunctionDefinition[];
  stop(): Promise<void>;
}

const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<RunningFunctionsHost> {
  const print = options.print ?? ((line: string) => console.log(line));
  const restoreEnv = applyEnvironment(options);
  try {
    const settings = loadSettings(process.env, readLocalSettings(options.settingsDir ?? process.cwd()));
    const config = readHostJson(options.hostJsonPath ?? join(PROJECT_ROOT, 'host.json'), process.env);
    const functions = selectFunctions(
      options.functions ?? (await loadFunctions(options.functionsDir ?? join(PROJECT_ROOT, 'functions'))),
      config.functions,
    );

    const http = functions.filter((f): f is HttpFunction => f.kind === 'http');
    const timers = functions.filter((f): f is TimerFunction => f.kind === 'timer');
    const queues = functions.filter((f): f is QueueFunction => f.kind === 'queue');

    // Storage is touched only when there are queue triggers (HTTP-only hosts need no Azurite).
    const storage = queues.length > 0 ? createStorageClients(settings.storage) : null;
    const adminLog =
      options.adminLog ?? (storage === null ? null : new TableAdminLog(new Table(storage.table('adminlog'))));
    const log = async (line: string, level: 'info' | 'warning' | 'error' = 'info'): Promise<void> => {
      print(line);
      if (level !== 'info') await adminLog?.write(line, level).catch(() => undefined);
    };

    // Settings with a default in SPEC §7 resolve to it when unset (Azure needs them set).
    const defaults: Readonly<Record<string, string>> = { SCAN_SCHEDULE: settings.scanSchedule };
    const resolveSetting = (name: string): string | undefined => process.env[name] || defaults[name];
    // A bad schedule stops start-up before anything listens.
    for (const fn of timers) nextRunFunction(resolveSchedule(fn.schedule, resolveSetting));

    const stops: (() => Promise<void>)[] = [];
    const stopAll = async (): Promise<void> => {
      await Promise.all(stops.splice(0).map((stop) => stop()));
    };
    try {
      if (storage !== null) {
        for (const fn of queues) {
          const listener = await startQueue(fn, storage.queueService, config, options, log);
          stops.push(() => listener.stop());
        }
      }
      const server = await startHttpTriggerServer({
        functions: http,
        port: options.port,
        routePrefix: config.routePrefix,
        log,
        ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      });
      stops.push(() => server.close());
      const scheduler = startTimers({ functions: timers, resolveSetting, log });
      stops.push(() => scheduler.stop());

      print(`Functions host listening on ${server.url}`);
      for (const fn of http)
        print(`  ${fn.name}: [${fn.methods.join(',')}] ${server.url}/${config.routePrefix}/${fn.route}`);
      for (const fn of timers)
        print(`  ${fn.name}: timer ${fn.schedule}${fn.runOnStartup ? ' (and at start-up)' : ''}`);
      for (const fn of queues) print(`  ${fn.name}: queue ${fn.queueName}`);

      let stopping: Promise<void> | null = null;
      return {
        url: server.url,
        functions,
        stop() {
          stopping ??= stopAll().finally(restoreEnv);
          return stopping;
        },
      };
    } catch (error) {
      await stopAll();
      throw error;
    }
  } catch (error) {
    restoreEnv();
    throw error;
  }
}

async function startQueue(
  fn: QueueFunction,
  service: QueueServiceClient,
  config: ReturnType<typeof readHostJson>,
  options: FunctionsHostOptions,
  log: (line: string, level: 'info' | 'warning' | 'error') => Promise<void>,
): Promise<QueueListener> {
  const queue = service.getQueueClient(fn.queueName);
  const poisonQueue = service.getQueueClient(`${fn.queueName}-poison`);
  await Promise.all([queue.createIfNotExists(), poisonQueue.createIfNotExists()]);
  return startQueueListener({
    fn,
    queue,
    poisonQueue,
    config,
    leaseMs: Math.min(options.queueLeaseMs ?? 30_000, config.functionTimeoutMs),
    stopGraceMs: options.stopGraceMs ?? 10_000,
    log,
  });
}

/**
 * Imports every entry point in `dir` and returns every function defined in this process (an
 * entry point imported earlier, by a test say, is not evaluated again but its functions count).
 */
export async function loadFunctions(dir: string): Promise<readonly FunctionDefinition[]> {
  const folder = resolve(dir);
  const files = readdirSync(folder)
    .filter((name) => /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') && !name.includes('.test.'))
    .sort();
  for (const file of files) await import(pathToFileURL(join(folder, file)).href);
  return [...definedFunctions()];
}

/**
 * The functions host.json `functions` names (all when it names none). Names ignore case, as in
 * Azure; a name that no function has stops start-up, so a typo cannot leave a trigger unserved.
 */
function selectFunctions(
  defined: readonly FunctionDefinition[],
  names: readonly string[],
): readonly FunctionDefinition[] {
  if (names.length === 0) return defined;
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const known = new Set(defined.map((fn) => fn.name.toLowerCase()));
  const unknown = names.filter((name) => !known.has(name.toLowerCase()));
  if (unknown.length > 0) {
    throw new AppError(
      'config.invalid',
      `host.json functions (or AzureFunctionsJobHost__functions__<n>) names ${unknown.map((n) => `"${n}"`).join(', ')}, ` +
        `which ${unknown.length === 1 ? 'is' : 'are'} not defined; defined: ${defined.map((fn) => fn.name).join(', ')}`,
    );
  }
  return defined.filter((fn) => wanted.has(fn.name.toLowerCase()));
}

/** Sets `options.env`, then local.settings.json Values not already set; returns the undo. */
function applyEnvironment(options: FunctionsHostOptions): () => void {
  const previous = new Map<string, string | undefined>();
  const set = (name: string, value: string): void => {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    process.env[name] = value;
  };
  for (const [name, value] of Object.entries(options.env ?? {})) set(name, value);
  const local = readLocalSettings(options.settingsDir ?? process.cwd());
  if (typeof local === 'object' && local !== null && 'Values' in local) {
    const values = local.Values;
    if (typeof values === 'object' && values !== null) {
      for (const [name, value] of Object.entries(values)) {
        if (process.env[name] === undefined && typeof value === 'string') set(name, value);
      }
    }
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
