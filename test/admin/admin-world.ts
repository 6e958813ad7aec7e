import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningAzurite, startAzurite } from '../../dev/azurite.ts';
import { type RunningFunctionsHost, startFunctionsHost } from '../../dev/host/functions-host.ts';
import {
  type PhonelinkSimulator,
  startPhonelinkSimulator,
} from '../../dev/phonelink-sim/phonelink-simulator.ts';
import { adminAppointmentsHttp } from '../../functions/admin-appointments-http.ts';
import { adminHealthHttp } from '../../functions/admin-health-http.ts';
import { adminLogHttp } from '../../functions/admin-log-http.ts';
import { adminPageHttp } from '../../functions/admin-page-http.ts';
import { adminScanHttp } from '../../functions/admin-scan-http.ts';
import { adminSettingsHttp } from '../../functions/admin-settings-http.ts';
import { adminStatusHttp } from '../../functions/admin-status-http.ts';
import { adminUsersHttp } from '../../functions/admin-users-http.ts';
import { createServices, type Services, setServices } from '../../shared/app/services.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { createFileSecretVault } from '../../shared/vault/file-secret-vault.ts';

/** Secret values the tests watch for: none may ever appear in an answer, a log line or a table. */
export const SECRETS = {
  ADMIN_API_KEY: 'admin-key-Zq81xVb2-Lm40Rt7Qw2Ys9Kp3',
  PHONELINK_API_KEY: 'phonelink-key-Hh27sKq0',
  PHONELINK_WEBHOOK_SECRET: 'webhook-secret-Pp93mRt4-Vc62Nb8Hj1',
  GRAPH_CLIENT_SECRET: 'graph-secret-Ww55cNj1',
} as const;

export interface AdminWorld {
  readonly services: Services;
  readonly url: string;
  readonly secretsFile: string;
  readonly azurite: RunningAzurite;
  readonly phonelink: PhonelinkSimulator;
  /** Every answer body seen, to check for secrets at the end. */
  readonly bodies: string[];
  call(method: string, path: string, options?: { key?: string | null; body?: string }): Promise<Answer>;
  stop(): Promise<void>;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

/** The admin functions on the local host, over Azurite, with the PHONE-LiNK simulator and a vault in a temporary folder. */
export async function startAdminWorld(): Promise<AdminWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-'));
  const azurite = await startAzurite();
  const phonelink = await startPhonelinkSimulator({
    apiKey: SECRETS.PHONELINK_API_KEY,
    users: [{ id: '201', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true }],
  });
  const settings = loadSettings({
    AzureWebJobsStorage: azurite.connectionString,
    ADMIN_API_KEY: SECRETS.ADMIN_API_KEY,
    PHONELINK_URL: phonelink.url,
    PHONELINK_API_KEY: SECRETS.PHONELINK_API_KEY,
    PHONELINK_WEBHOOK_SECRET: SECRETS.PHONELINK_WEBHOOK_SECRET,
    CALLBACK_URL: 'https://presence.example.com',
    GRAPH_TENANT_ID: '5f1c7a8e-0000-4000-8000-00000000c0de',
    GRAPH_CLIENT_ID: 'a0a0a0a0-0000-4000-8000-000000000001',
    GRAPH_CLIENT_SECRET: SECRETS.GRAPH_CLIENT_SECRET,
  });
  const secretsFile = join(dir, 'secrets.json');
  const services = createServices(settings, { secretVault: createFileSecretVault(secretsFile) });
  setServices(services);
  const host: RunningFunctionsHost = await startFunctionsHost({
    port: 0,
    functions: [
      adminStatusHttp,
      adminSettingsHttp,
      adminScanHttp,
      adminLogHttp,
      adminUsersHttp,
      adminAppointmentsHttp,
      adminHealthHttp,
      adminPageHttp,
    ],
    print: () => undefined,
  });
  const bodies: string[] = [];
  return {
    services,
    url: host.url,
    secretsFile,
    azurite,
    phonelink,
    bodies,
    async call(method, path, options = {}) {
      const key = options.key === undefined ? SECRETS.ADMIN_API_KEY : options.key;
      const response = await fetch(`${host.url}/api/${path}`, {
        method,
        headers: {
          ...(key === null ? {} : { authorization: `Bearer ${key}` }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: options.body }),
      });
      const text = await response.text();
      bodies.push(text);
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async stop() {
      await host.stop();
      setServices(null);
      await phonelink.stop();
      await azurite.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
