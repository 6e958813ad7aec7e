import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, fail, ok, type Result } from '../errors.ts';
import { Secret } from './secret.ts';
import type { Settings, StorageSettings } from './settings.ts';

/**
 * SPEC §7: settings come from the environment, then `local.settings.json` `Values` (as Core Tools
 * does), then defaults. Empty strings count as unset (the sample file ships empty secrets).
 *
 * What is *required* depends on what the caller is about to do (the offline demo supplies its
 * own PHONE-LiNK and Exchange; a deployed app needs them all), so `loadSettings` checks the form
 * of every setting that is present and the presence of only those named in `options.required`.
 * Every problem is collected: one AppError('config.invalid') names each bad setting, never its value.
 */
export const SETTING_NAMES = [
  'CALENDAR_SOURCE',
  'INTEGRATION_ENABLED',
  'CALLBACK_URL',
  'GRAPH_TENANT_ID',
  'GRAPH_CLIENT_ID',
  'GRAPH_CLIENT_SECRET',
  'GRAPH_CLIENT_CERTIFICATE_PATH',
  'GRAPH_BASE_URL',
  'GRAPH_AUTHORITY_HOST',
  'EWS_SERVER',
  'EWS_URL',
  'EWS_USERNAME',
  'EWS_PASSWORD',
  'EWS_AUTH',
  'PHONELINK_URL',
  'PHONELINK_API_KEY',
  'PHONELINK_WEBHOOK_SECRET',
  'SCAN_SCHEDULE',
  'SCAN_WINDOW_DAYS',
  'TENTATIVE_AS',
  'SHARE_SUBJECTS',
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'AzureWebJobsStorage__clientId',
  'AzureWebJobsStorage__credential',
  'ADMIN_API_KEY',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'AZURE_CLIENT_ID',
  'PORT',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/**
 * The credentials an operator supplies (each a `Secret` in Settings): kept in Key Vault in Azure,
 * write-only in the admin API, scrubbed from telemetry.
 */
export const CREDENTIAL_SETTINGS = [
  'GRAPH_CLIENT_SECRET',
  'EWS_PASSWORD',
  'PHONELINK_API_KEY',
  'PHONELINK_WEBHOOK_SECRET',
  'ADMIN_API_KEY',
] as const satisfies readonly SettingName[];

export interface SettingProblem {
  readonly name: SettingName | 'local.settings.json';
  /** What is wrong, in words; never the value. */
  readonly problem: string;
}

export interface LoadSettingsOptions {
  /** Settings that must be present for what the caller is about to run. */
  readonly required?: readonly SettingName[];
}

export const DEFAULT_SCAN_SCHEDULE = '0 0 3 * * 1';
export const DEFAULT_STORAGE = 'UseDevelopmentStorage=true';
export const DEFAULT_PORT = 7071;
const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

const localSettingsFile = z.object({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export function loadSettings(
  env: Readonly<Record<string, string | undefined>>,
  localSettingsValues?: unknown,
  options: LoadSettingsOptions = {},
): Settings {
  const result = parseSettings(env, localSettingsValues, options);
  if (result.ok) return result.value;
  throw new AppError('config.invalid', describeProblems(result.error));
}

/** One message, one line per bad setting. */
export function describeProblems(problems: readonly SettingProblem[]): string {
  return [
    `Invalid configuration (${problems.length} setting${problems.length === 1 ? '' : 's'}):`,
    ...problems.map((p) => `  ${p.name}: ${p.problem}`),
  ].join('\n');
}

/** `local.settings.json` in `dir`, parsed as JSON, or undefined when there is none. */
export function readLocalSettings(dir: string): unknown {
  let text: string;
  try {
    text = readFileSync(join(dir, 'local.settings.json'), 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new AppError('config.invalid', 'local.settings.json cannot be read', { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // The JSON error message may quote the file's text, which may hold secrets: not kept as cause.
    throw new AppError('config.invalid', 'local.settings.json is not valid JSON', {
      cause: new Error(error instanceof Error ? error.name : 'parse error'),
    });
  }
}

/**
 * `AZURE_CLIENT_ID`, for what starts before the settings are loaded (telemetry); the settings
 * carry the same value as `managedIdentityClientId`.
 */
export function managedIdentityClientId(env: Readonly<Record<string, string | undefined>>): string | null {
  return env.AZURE_CLIENT_ID?.trim() || null;
}

export function parseSettings(
  env: Readonly<Record<string, string | undefined>>,
  localSettingsValues?: unknown,
  options: LoadSettingsOptions = {},
): Result<Settings, readonly SettingProblem[]> {
  const problems: SettingProblem[] = [];
  const local: Record<string, string> = {};
  if (localSettingsValues !== undefined && localSettingsValues !== null) {
    const parsed = localSettingsFile.safeParse(localSettingsValues);
    if (!parsed.success) {
      problems.push({
        name: 'local.settings.json',
        problem: 'must be an object whose "Values" maps names to strings',
      });
    } else {
      for (const [key, value] of Object.entries(parsed.data.Values ?? {})) {
        if (value !== null) local[key] = String(value);
      }
    }
  }

  const raw = (name: SettingName): string | null => {
    const value = env[name]?.trim() || local[name]?.trim();
    return value === undefined || value === '' ? null : value;
  };
  for (const name of options.required ?? []) {
    if (raw(name) === null && !(name === 'EWS_URL' && raw('EWS_SERVER') !== null)) {
      problems.push({ name, problem: 'is required but not set' });
    }
  }
  const read = <T>(name: SettingName, parse: (value: string) => T | Invalid, fallback: T): T => {
    const value = raw(name);
    if (value === null) return fallback;
    const parsed = parse(value);
    if (parsed instanceof Invalid) {
      problems.push({ name, problem: parsed.problem });
      return fallback;
    }
    return parsed;
  };
  const text = (name: SettingName): string | null => read(name, (v) => v, null);
  const secret = (name: SettingName): Secret | null => read(name, (v) => new Secret(v), null);

  const ewsServer = read('EWS_SERVER', parseServer, null);
  const ewsUrl = read('EWS_URL', parseUrl, null) ?? ewsServer;

  const settings: Settings = {
    calendarSource: read('CALENDAR_SOURCE', oneOf(['graph', 'ews'] as const), 'graph'),
    integrationEnabled: read('INTEGRATION_ENABLED', parseBoolean, true),
    callbackUrl: read('CALLBACK_URL', parseUrl, null),
    graph: {
      tenantId: text('GRAPH_TENANT_ID'),
      clientId: text('GRAPH_CLIENT_ID'),
      clientSecret: secret('GRAPH_CLIENT_SECRET'),
      clientCertificatePath: text('GRAPH_CLIENT_CERTIFICATE_PATH'),
      baseUrl: read('GRAPH_BASE_URL', parseUrl, new URL(DEFAULT_GRAPH_BASE_URL)),
      authorityHost: read('GRAPH_AUTHORITY_HOST', parseUrl, new URL(DEFAULT_AUTHORITY_HOST)),
    },
    ews: {
      url: ewsUrl,
      username: text('EWS_USERNAME'),
      password: secret('EWS_PASSWORD'),
      auth: read('EWS_AUTH', oneOf(['ntlm', 'basic'] as const), 'ntlm'),
    },
    phonelink: {
      url: read('PHONELINK_URL', parseUrl, null),
      apiKey: secret('PHONELINK_API_KEY'),
      webhookSecret: secret('PHONELINK_WEBHOOK_SECRET'),
    },
    scanSchedule: read('SCAN_SCHEDULE', parseNcrontab, DEFAULT_SCAN_SCHEDULE),
    scanWindowDays: read('SCAN_WINDOW_DAYS', parseInteger(1, 62), 7),
    policy: {
      tentativeAs: read('TENTATIVE_AS', oneOf(['Meeting', 'Available'] as const), 'Meeting'),
      shareSubjects: read('SHARE_SUBJECTS', parseBoolean, true),
    },
    storage: readStorage(raw, problems),
    adminApiKey: secret('ADMIN_API_KEY'),
    appInsightsConnectionString: secret('APPLICATIONINSIGHTS_CONNECTION_STRING'),
    managedIdentityClientId: raw('AZURE_CLIENT_ID'),
    port: read('PORT', parseInteger(0, 65535), DEFAULT_PORT),
  };
  if (problems.length > 0) return fail(problems);
  return ok(deepFreeze(settings));
}

function readStorage(raw: (name: SettingName) => string | null, problems: SettingProblem[]): StorageSettings {
  const connectionString = raw('AzureWebJobsStorage');
  const accountName = raw('AzureWebJobsStorage__accountName');
  const queueUri = raw('AzureWebJobsStorage__queueServiceUri');
  const tableUri = raw('AzureWebJobsStorage__tableServiceUri');
  const credential = raw('AzureWebJobsStorage__credential');
  const devDefault = { kind: 'connectionString', connectionString: new Secret(DEFAULT_STORAGE) } as const;

  if (connectionString !== null) {
    if (!/^UseDevelopmentStorage=true$|[A-Za-z]+=[^;]+/i.test(connectionString)) {
      problems.push({ name: 'AzureWebJobsStorage', problem: 'must be a storage connection string' });
      return devDefault;
    }
    return { kind: 'connectionString', connectionString: new Secret(connectionString) };
  }
  if (accountName === null && queueUri === null && tableUri === null) return devDefault;

  const bad = problems.length;
  if (accountName !== null && !/^[a-z0-9]{3,24}$/.test(accountName)) {
    problems.push({
      name: 'AzureWebJobsStorage__accountName',
      problem: 'must be a storage account name (3-24 lower-case letters and digits)',
    });
  }
  if (accountName === null && (queueUri === null || tableUri === null)) {
    problems.push({
      name: 'AzureWebJobsStorage__accountName',
      problem: 'is required for an identity-based connection unless both service URIs are set',
    });
  }
  if (credential !== null && credential.toLowerCase() !== 'managedidentity') {
    problems.push({ name: 'AzureWebJobsStorage__credential', problem: 'must be "managedidentity" when set' });
  }
  const uri = (name: SettingName, value: string | null, service: 'queue' | 'table'): URL => {
    const fallback = new URL(`https://${accountName ?? 'invalid'}.${service}.core.windows.net`);
    if (value === null) return fallback;
    const parsed = parseUrl(value);
    if (parsed instanceof Invalid) {
      problems.push({ name, problem: parsed.problem });
      return fallback;
    }
    return parsed;
  };
  const queueServiceUri = uri('AzureWebJobsStorage__queueServiceUri', queueUri, 'queue');
  const tableServiceUri = uri('AzureWebJobsStorage__tableServiceUri', tableUri, 'table');
  if (problems.length > bad) return devDefault;
  return {
    kind: 'identity',
    accountName: accountName ?? queueServiceUri.hostname.split('.')[0] ?? '',
    queueServiceUri,
    tableServiceUri,
    // The host's own setting first; else the app's user-assigned identity, as for every credential.
    clientId: raw('AzureWebJobsStorage__clientId') ?? raw('AZURE_CLIENT_ID'),
  };
}

/** A parse failure; a class so it cannot be confused with a parsed value. */
class Invalid {
  readonly problem: string;
  constructor(problem: string) {
    this.problem = problem;
  }
}

function oneOf<const T extends string>(allowed: readonly T[]): (value: string) => T | Invalid {
  return (value) =>
    allowed.find((a) => a.toLowerCase() === value.toLowerCase()) ??
    new Invalid(`must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
}

function parseBoolean(value: string): boolean | Invalid {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return new Invalid('must be "true" or "false"');
}

function parseInteger(min: number, max: number): (value: string) => number | Invalid {
  return (value) => {
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    return Number.isSafeInteger(n) && n >= min && n <= max
      ? n
      : new Invalid(`must be a whole number from ${min} to ${max}`);
  };
}

function parseUrl(value: string): URL | Invalid {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return new Invalid('must be an absolute http:// or https:// URL');
  }
  return url;
}

/** EWS_SERVER: a host name or IP (optionally with port); the URL is derived as the product always did. */
function parseServer(value: string): URL | Invalid {
  const url = /^[A-Za-z0-9.\-:[\]]+$/.test(value) ? URL.parse(`https://${value}/ews/exchange.asmx`) : null;
  return url ?? new Invalid('must be a server name or IP address (or set EWS_URL)');
}

/** NCRONTAB with six fields, seconds first (as Azure Functions timers take it). */
function parseNcrontab(value: string): string | Invalid {
  const fields = value.split(/\s+/);
  const valid = fields.length === 6 && fields.every((f) => /^[\w*,/-]+$/.test(f));
  return valid
    ? fields.join(' ')
    : new Invalid('must be an NCRONTAB expression with six fields (seconds first)');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Secret) && !(value instanceof URL)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
