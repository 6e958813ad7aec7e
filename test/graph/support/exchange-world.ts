import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningAzurite, startAzurite } from '../../../dev/azurite.ts';
import { mountEwsWithSettings } from '../../../dev/exchange-sim/ews/mount-ews.ts';
import {
  type ExchangeSimulator,
  startExchangeSimulator,
} from '../../../dev/exchange-sim/graph/exchange-simulator.ts';
import { graphSettingsFor } from '../../../dev/exchange-sim/graph/graph-app-settings.ts';
import type { Mailboxes } from '../../../dev/exchange-sim/mailboxes.ts';
import { mountOrganization } from '../../../dev/exchange-sim/organization-split.ts';
import { trustLocalCa } from '../../../dev/exchange-sim/trust.ts';
import { freePort } from '../../../dev/free-port.ts';
import { type RunningFunctionsHost, startFunctionsHost } from '../../../dev/host/functions-host.ts';
import {
  type PhonelinkSimulator,
  type SimUser as PhonelinkUser,
  type PresenceWire,
  startPhonelinkSimulator,
} from '../../../dev/phonelink-sim/phonelink-simulator.ts';
import { setServices } from '../../../shared/app/services.ts';
import type { FunctionDefinition } from '../../../shared/runtime/define-function.ts';

/**
 * Everything the product talks to, for end-to-end tests: Azurite, the simulated Exchange, the
 * PHONE-LiNK simulator, and the functions host serving functions/ configured only through
 * SPEC §7 settings. `source` picks the Exchange path (CALENDAR_SOURCE); the EWS path plugs its
 * front-end into EXCHANGE_FRONT_ENDS, and the same tests then run against it.
 */
export type CalendarSourceKind = 'graph' | 'ews' | 'hybrid';

export interface WorldUser {
  readonly id: string;
  readonly name?: string;
  readonly email: string | null;
  readonly calendarIntegration?: boolean;
  /** Mailbox time zone (Windows name); default UTC. */
  readonly timeZone?: string;
}

export interface ExchangeWorldOptions {
  readonly source: CalendarSourceKind;
  readonly users: readonly WorldUser[];
  /** Calendar set-up before the functions start (the first scan then reads it). */
  readonly seed?: (mailboxes: Mailboxes) => void;
  readonly latencyMs?: number;
  readonly throttleRatio?: number;
  readonly env?: Readonly<Record<string, string>>;
  /** More entry points of functions/ to serve (e.g. admin routes). */
  readonly functions?: readonly string[];
}

export interface ExchangeWorld {
  readonly source: CalendarSourceKind;
  readonly mailboxes: Mailboxes;
  readonly exchange: ExchangeSimulator;
  readonly phonelink: PhonelinkSimulator;
  readonly host: RunningFunctionsHost;
  readonly adminKey: string;
  presenceOf(userId: string): PresenceWire | null;
  /** Resolves once `check` holds (polled), or rejects naming `what` after `timeoutMs`. */
  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Waits until the user's accepted presence satisfies `check`; returns it. */
  waitForPresence(
    userId: string,
    check: (presence: PresenceWire) => boolean,
    timeoutMs?: number,
  ): Promise<PresenceWire>;
  post(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export const TENANT_ID = '5f0c7d1e-3a41-4b7e-9d2c-0a1b2c3d4e5f';
const CLIENT_ID = 'a2c4e6f8-1b3d-4f5a-8c7e-9d0f1a2b3c4d';
const CLIENT_SECRET = 'graph-world-client-secret';
const PHONELINK_KEY = 'graph-world-phonelink-key';
const WEBHOOK_SECRET = 'graph-world-webhook-secret-0123456789';
const ADMIN_KEY = 'graph-world-admin-key-0123456789abcdef';

/** The entry points a world serves: the pipeline, and each source's own (loaded one by one, so a half-written file elsewhere cannot stop these tests). */
const COMMON_FUNCTIONS = [
  'scan-timer.ts',
  'scan-queue.ts',
  'calendar-sync-queue.ts',
  'calendar-changes-queue.ts',
  'maintenance-timer.ts',
  'presence-queue.ts',
  // What the scan wrote, as the administrator reads it (SPEC §5 GET /api/log).
  'admin-log-http.ts',
];
export const SOURCE_FUNCTIONS: Record<CalendarSourceKind, readonly string[]> = {
  graph: ['graph-notifications-http.ts', 'graph-lifecycle-http.ts'],
  ews: ['ews-notifications-http.ts'],
  hybrid: ['graph-notifications-http.ts', 'graph-lifecycle-http.ts', 'ews-notifications-http.ts'],
};

async function loadFunctions(
  source: CalendarSourceKind,
  more: readonly string[] = [],
): Promise<FunctionDefinition[]> {
  const definitions: FunctionDefinition[] = [];
  for (const file of [...COMMON_FUNCTIONS, ...SOURCE_FUNCTIONS[source], ...more]) {
    const module: Record<string, unknown> = await import(`../../../functions/${file}`);
    for (const value of Object.values(module)) {
      if (isDefinition(value)) definitions.push(value);
    }
  }
  return definitions;
}

function isDefinition(value: unknown): value is FunctionDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    (value.kind === 'http' || value.kind === 'timer' || value.kind === 'queue') &&
    'handler' in value
  );
}

/** How each Exchange path is started and configured (SPEC §7 settings only). */
export const EXCHANGE_FRONT_ENDS: Record<
  CalendarSourceKind,
  ((exchange: ExchangeSimulator) => Promise<Record<string, string>>) | null
> = {
  graph: async (exchange) => ({
    CALENDAR_SOURCE: 'graph',
    ...graphSettingsFor(exchange, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
  }),
  ews: async (exchange) =>
    mountEwsWithSettings(exchange, { username: 'CONTOSO\\svc-presence', password: 'ews-world-password' })
      .settings,
  // One organization across both: each mailbox where the test placed it (homesOf), the others
  // alternately in the cloud and on the Exchange Server; the control call mounted.
  hybrid: async (exchange) => {
    const homes = mountOrganization(exchange);
    exchange.mailboxes.users().forEach((user, i) => {
      if (homes.homeOf(user) === null)
        homes.place(user.mail, i % 2 === 0 ? 'exchangeOnline' : 'exchangeServer');
    });
    const ews = await EXCHANGE_FRONT_ENDS.ews?.(exchange);
    const graph = await EXCHANGE_FRONT_ENDS.graph?.(exchange);
    return { ...graph, ...ews, CALENDAR_SOURCE: 'hybrid' };
  },
};

export async function startExchangeWorld(options: ExchangeWorldOptions): Promise<ExchangeWorld> {
  const frontEnd = EXCHANGE_FRONT_ENDS[options.source];
  if (frontEnd === null) throw new Error(`no ${options.source} front-end in the simulated Exchange yet`);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    setServices(null);
  };
  try {
    const azurite: RunningAzurite = await startAzurite();
    stops.push(() => azurite.stop());
    const exchange = await startExchangeSimulator({
      tenantId: TENANT_ID,
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
      latencyMs: options.latencyMs ?? 0,
      throttleRatio: options.throttleRatio ?? 0,
      notifications: { batchWindowMs: 5 },
    });
    stops.push(() => exchange.stop());
    trustLocalCa(exchange.caPem);
    for (const user of options.users) {
      if (user.email !== null)
        exchange.mailboxes.addUser({ email: user.email, timeZone: user.timeZone ?? 'UTC' });
    }
    options.seed?.(exchange.mailboxes);
    const phonelinkUsers: PhonelinkUser[] = options.users.map((user) => ({
      id: user.id,
      name: user.name ?? `User ${user.id}`,
      email: user.email,
      calendarIntegration: user.calendarIntegration ?? true,
    }));
    const port = await freePort();
    const hostUrl = `http://127.0.0.1:${port}`;
    const phonelink = await startPhonelinkSimulator({
      apiKey: PHONELINK_KEY,
      users: phonelinkUsers,
      overrideTarget: { url: hostUrl, secret: WEBHOOK_SECRET },
    });
    stops.push(() => phonelink.stop());
    const settingsDir = await mkdtemp(join(tmpdir(), 'graph-world-'));
    stops.push(() => rm(settingsDir, { recursive: true, force: true }));
    setServices(null);
    const host = await startFunctionsHost({
      port,
      settingsDir,
      functions: await loadFunctions(options.source, options.functions),
      print: () => undefined,
      env: {
        ...(await frontEnd(exchange)),
        AzureWebJobsStorage: azurite.connectionString,
        CALLBACK_URL: hostUrl,
        PHONELINK_URL: phonelink.url,
        PHONELINK_API_KEY: PHONELINK_KEY,
        PHONELINK_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ADMIN_API_KEY: ADMIN_KEY,
        INTEGRATION_ENABLED: 'true',
        SCAN_SCHEDULE: '0 0 3 * * 1',
        SCAN_WINDOW_DAYS: '7',
        ...options.env,
      },
    });
    stops.push(() => host.stop());

    const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    return {
      source: options.source,
      mailboxes: exchange.mailboxes,
      exchange,
      phonelink,
      host,
      adminKey: ADMIN_KEY,
      presenceOf: (userId) => phonelink.presenceOf(userId),
      waitFor,
      async waitForPresence(userId, check, timeoutMs) {
        let last: PresenceWire | null = null;
        await waitFor(
          `the presence of user ${userId} (last: ${JSON.stringify(last)})`,
          () => {
            last = phonelink.presenceOf(userId);
            return last !== null && check(last);
          },
          timeoutMs,
        ).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : error}; last: ${JSON.stringify(last)}`);
        });
        return last as unknown as PresenceWire;
      },
      post: (path, body, headers = { 'content-type': 'application/json' }) =>
        fetch(`${host.url}${path}`, { method: 'POST', body, headers }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
