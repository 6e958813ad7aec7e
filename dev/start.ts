import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadSettings, readLocalSettings } from '../shared/config/load-settings.ts';
import { type RunningAzurite, startAzurite } from './azurite.ts';
import { startDemo } from './demo/demo.ts';
import { startFunctionsHost } from './host/functions-host.ts';

/**
 * `npm start` (SPEC §8). With no Exchange configured: the complete offline demo. With
 * GRAPH_CLIENT_ID, EWS_SERVER or EWS_URL set (environment or local.settings.json): only the
 * functions, against the configured systems, with Azurite when storage is the development default.
 * Ctrl-C stops everything this started.
 */
// Outside the Functions runtime @azure/functions warns once per function that it skips
// registration; the local host serves them itself, so those lines only hide the demo's URLs.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /^WARNING: (Skipping call to register|Failed to detect)/.test(args[0]))
    return;
  warn(...args);
};

// Beside local.settings.json in the working directory (the project root under npm start).
const dataDir = join(process.cwd(), '.dev-data');
const local = readLocalSettings(process.cwd());
const startup = loadSettings(process.env, local);
// PORT=0: any free port.
const port = startup.port;
const configured = startup.graph.clientId !== null || startup.ews.url !== null;

// Declared before the top-level await below, which runs startOfflineDemo.
const EXCHANGE_PATHS = {
  graph: 'Microsoft Graph',
  ews: 'EWS',
  hybrid:
    'hybrid: Ann and Carla on Exchange Online, Bob, Dan and Eve on the Exchange Server; Dan moves to the cloud after 90 s',
} as const;

const stoppers: (() => Promise<void>)[] = [];
let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  if (configured) {
    await startConfigured();
  } else {
    await startOfflineDemo();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  await shutdown(1);
}

async function startOfflineDemo(): Promise<void> {
  console.log('No Exchange configured (GRAPH_CLIENT_ID, EWS_SERVER or EWS_URL): starting the offline demo…');
  const demo = await startDemo({
    port,
    dataDir,
    // CALENDAR_SOURCE=ews npm start: the same demo through the simulated EWS.
    source: startup.calendarSource,
    ...(startup.adminApiKey === null ? {} : { adminApiKey: startup.adminApiKey.reveal() }),
  });
  stoppers.push(() => demo.stop());
  console.log(
    [
      '',
      '  PHONE-LiNK Calendar Presence: offline demo',
      '',
      `  Admin page        ${demo.adminPageUrl}`,
      `  Admin API key     ${demo.adminApiKey}`,
      `  Presence window   ${demo.presenceWindowUrl}`,
      `  Functions         ${demo.functionsUrl.replace('127.0.0.1', 'localhost')}/api/…`,
      `  Exchange path     ${EXCHANGE_PATHS[demo.source]} (simulated; CALENDAR_SOURCE=graph, ews or hybrid)`,
      `  Simulated Graph   ${demo.exchange.graphBaseUrl}`,
      `  Simulated EWS     ${demo.ewsUrl}`,
      '',
      "  Within the first minute: Bob leaves his meeting, Ann and Dan go into theirs (Dan's is",
      "  private: no subject anywhere), Carla's out-of-office begins, Eve is out of office, and",
      '  the log names the user skipped for a missing email address.',
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

async function startConfigured(): Promise<void> {
  // The scan timer reads %SCAN_SCHEDULE%; its default applies when it is not set.
  const env: Record<string, string> = { SCAN_SCHEDULE: startup.scanSchedule };
  if (
    startup.storage.kind === 'connectionString' &&
    /^UseDevelopmentStorage=true$/i.test(startup.storage.connectionString.reveal())
  ) {
    const azurite: RunningAzurite = await startAzurite({ location: join(dataDir, 'azurite') });
    stoppers.push(() => azurite.stop());
    env.AzureWebJobsStorage = azurite.connectionString;
    console.log('Storage is the development default: started Azurite (data in .dev-data/azurite)');
  }
  // Without a key the admin page could not be used at all: make one for this run.
  const generatedKey = startup.adminApiKey === null ? randomBytes(24).toString('base64url') : null;
  if (generatedKey !== null) env.ADMIN_API_KEY = generatedKey;
  const host = await startFunctionsHost({ port, env });
  stoppers.push(() => host.stop());
  console.log(
    [
      '',
      `  Admin page        ${host.url.replace('127.0.0.1', 'localhost')}/api/admin`,
      generatedKey === null
        ? '  Admin API key     ADMIN_API_KEY as configured'
        : `  Admin API key     ${generatedKey}  (ADMIN_API_KEY is not set: made for this run)`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}
