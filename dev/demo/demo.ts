import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SCAN_SCHEDULE } from '../../shared/config/load-settings.ts';
import { type RunningAzurite, startAzurite } from '../azurite.ts';
import { mountEwsWithSettings } from '../exchange-sim/ews/mount-ews.ts';
import { type ExchangeSimulator, startExchangeSimulator } from '../exchange-sim/graph/exchange-simulator.ts';
import { graphSettingsFor } from '../exchange-sim/graph/graph-app-settings.ts';
import { trustLocalCa } from '../exchange-sim/trust.ts';
import { freePort } from '../free-port.ts';
import { type RunningFunctionsHost, startFunctionsHost } from '../host/functions-host.ts';
import { type PhonelinkSimulator, startPhonelinkSimulator } from '../phonelink-sim/phonelink-simulator.ts';
import { splitDemoOrganization } from './hybrid-demo.ts';
import { DEMO_USERS, seedMailboxes } from './seed.ts';

export interface DemoOptions {
  /** The functions' port; taken when free, else any free port (a second demo still starts). */
  readonly port: number;
  /** Where Azurite and the local CA keep their files; null keeps everything in memory (tests). */
  readonly dataDir: string | null;
  /** The Exchange path the functions use: Graph (default), EWS, or both (hybrid), all simulated. */
  readonly source?: 'graph' | 'ews' | 'hybrid';
  /** Hybrid: when Dan's mailbox moves to Exchange Online, after the start (default 90 s, during his meeting). */
  readonly moveAfterMs?: number;
  /** Use this admin key instead of a new one. */
  readonly adminApiKey?: string;
  readonly print?: (line: string) => void;
}

export interface RunningDemo {
  readonly functionsUrl: string;
  readonly adminPageUrl: string;
  readonly presenceWindowUrl: string;
  readonly adminApiKey: string;
  /** Every secret this demo made (for tests that no answer or log line carries one). */
  readonly secretValues: readonly string[];
  readonly exchange: ExchangeSimulator;
  /** EWS_URL of the simulated Exchange Server front-end. */
  readonly ewsUrl: string;
  readonly source: 'graph' | 'ews' | 'hybrid';
  readonly phonelink: PhonelinkSimulator;
  stop(): Promise<void>;
}

const TENANT_ID = '5f1c7a8e-0000-4000-8000-00000000c0de';
const CLIENT_ID = 'a0a0a0a0-0000-4000-8000-000000000001';

const newKey = (): string => randomBytes(24).toString('base64url');

/**
 * The offline demo (SPEC §8): Azurite, the simulated Exchange (Graph and EWS over HTTPS with its own CA),
 * the simulated PHONE-LiNK with its presence window, and the functions, all in this process
 * except Azurite. Each start begins from the seed: stale state of an earlier run is removed.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    const t0 = Date.now();
    const claimed = options.dataDir === null ? null : await claimDataDir(options.dataDir);
    if (claimed !== null) started.push({ stop: claimed.release });
    if (options.dataDir !== null && claimed === null) {
      print('Another demo is using .dev-data/: this one keeps its storage in memory');
    }
    let azurite: RunningAzurite;
    if (claimed === null) {
      azurite = await startAzurite();
    } else {
      const location = join(claimed.dir, 'azurite');
      await rm(location, { recursive: true, force: true });
      // Secrets written on an earlier demo's admin page would override this demo's fresh keys.
      await rm(join(claimed.dir, 'secrets.json'), { force: true });
      azurite = await startAzurite({ location });
    }
    started.push(azurite);

    const graphSecret = newKey();
    const exchange = await startExchangeSimulator({
      tenantId: TENANT_ID,
      clients: [{ clientId: CLIENT_ID, clientSecret: graphSecret }],
      ...(options.dataDir === null ? {} : { dataDir: join(options.dataDir, 'ca') }),
    });
    started.push(exchange);
    trustLocalCa(exchange.caPem);
    const ews = mountEwsWithSettings(exchange, { username: 'svc-presence@contoso.com', password: newKey() });
    seedMailboxes(exchange.mailboxes, t0);
    const source = options.source ?? 'graph';
    if (source === 'hybrid') started.push(splitDemoOrganization(exchange, t0, options.moveAfterMs));

    const port = await freePort(options.port);
    // The simulators call the functions on the loopback address the host listens on.
    const functionsUrl = `http://127.0.0.1:${port}`;
    const phonelinkKey = newKey();
    const webhookSecret = newKey();
    const adminApiKey = options.adminApiKey ?? newKey();
    const phonelink = await startPhonelinkSimulator({
      apiKey: phonelinkKey,
      users: DEMO_USERS,
      overrideTarget: { url: functionsUrl, secret: webhookSecret },
    });
    started.push(phonelink);

    const host: RunningFunctionsHost = await startFunctionsHost({
      port,
      print: () => undefined,
      env: {
        AzureWebJobsStorage: azurite.connectionString,
        ...(source === 'graph' ? { CALENDAR_SOURCE: 'graph' } : { ...ews.settings, CALENDAR_SOURCE: source }),
        INTEGRATION_ENABLED: 'true',
        CALLBACK_URL: functionsUrl,
        ...graphSettingsFor(exchange, { clientId: CLIENT_ID, clientSecret: graphSecret }),
        PHONELINK_URL: phonelink.url,
        PHONELINK_API_KEY: phonelinkKey,
        PHONELINK_WEBHOOK_SECRET: webhookSecret,
        ADMIN_API_KEY: adminApiKey,
        SCAN_SCHEDULE: DEFAULT_SCAN_SCHEDULE,
        PORT: String(port),
      },
    });
    started.push(host);

    const demo: RunningDemo = {
      functionsUrl,
      adminPageUrl: `http://localhost:${port}/api/admin`,
      presenceWindowUrl: `${phonelink.url}/`,
      adminApiKey,
      secretValues: [
        graphSecret,
        phonelinkKey,
        webhookSecret,
        adminApiKey,
        ews.settings.EWS_PASSWORD ?? '',
      ].filter((value) => value !== ''),
      exchange,
      ewsUrl: ews.url.href,
      source,
      phonelink,
      stop: stopAll,
    };
    print(`Offline demo ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return demo;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The data folder for this demo, or null when a running demo holds it (its pid in demo.pid):
 * a second demo must not wipe the first one's storage.
 */
async function claimDataDir(dir: string): Promise<{ dir: string; release: () => Promise<void> } | null> {
  const lock = join(dir, 'demo.pid');
  await mkdir(dir, { recursive: true });
  const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return null;
  await writeFile(lock, String(process.pid));
  return {
    dir,
    release: async () => {
      const current = (await readFile(lock, 'utf8').catch(() => '')).trim();
      if (current === String(process.pid)) await rm(lock, { force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}
