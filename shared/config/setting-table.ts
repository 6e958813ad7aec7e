import { z } from 'zod';
import { scheduleProblem } from './schedule.ts';
import { Secret } from './secret.ts';
import type { Settings, StorageSettings } from './settings.ts';

/**
 * SPEC §7, one row per name: how its text is parsed, its default, whether it is a secret, who
 * may change it, where the admin page shows it and how infra/ provides it in Azure. The start-up
 * parser, the admin API and page, the effective-settings merge, telemetry scrubbing and the
 * template checks all read this table; a setting is added here and nowhere else.
 */

/** How the admin API takes a value (JSON type) and the page shows it. */
export type SettingInput =
  | { readonly type: 'text' }
  | { readonly type: 'url' }
  | { readonly type: 'boolean' }
  | { readonly type: 'integer' }
  | { readonly type: 'choice'; readonly options: readonly string[] }
  | { readonly type: 'secret' };

/**
 * `read-write` through the admin API; `write-only`: a secret whose reads say only whether it is
 * set; `deployment-only`: shown (as set / not set when secret) but changed only by the deployment.
 */
export type SettingAccess = 'read-write' | 'write-only' | 'deployment-only';

export const PAGE_GROUPS = [
  'General',
  'Microsoft Graph (Exchange Online)',
  'EWS (Exchange Server)',
  'PHONE-LiNK',
  'Scan and policy',
  'Deployment (read only)',
] as const;
export type PageGroup = (typeof PAGE_GROUPS)[number];

/** In Azure: a parameter of main.bicep, derived from what is deployed, or read by the local host only. */
export type InfraRole = 'parameter' | 'derived' | 'local';

export interface SettingRow<T, D extends T | null> {
  /** From the trimmed, non-empty text of the environment or local.settings.json. */
  readonly parse: z.ZodType<T, string>;
  readonly default: D;
  readonly input: SettingInput;
  /** Held as a `Secret`: never shown, scrubbed from telemetry wherever its value appears. */
  readonly secret: boolean;
  readonly access: SettingAccess;
  /** In the admin API, shown in this page group (null: the status card's own control); absent: not at all. */
  readonly page?: { readonly group: PageGroup | null; readonly label: string };
  readonly infra: InfraRole;
  /** The hosts the admin API accepts besides the deployment's own value. */
  readonly hosts?: readonly string[];
  /** Where the value is kept in Settings (the inverse of `assembleSettings`). */
  readonly of: (settings: Settings) => NoInfer<T | D>;
}

const MAX_TEXT = 2048;
const MIN_KEY_LENGTH = 32;

/** A parse problem in words; the value itself is kept out of it (it may be a secret). */
const problem = (message: string) => ({ code: 'custom' as const, message, input: '' });

const textSchema = z.string().max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);

/** An absolute http(s) URL without a user name or password in it (those would be sent and logged). */
const urlSchema = textSchema.transform((value, ctx) => {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    ctx.issues.push(problem('must be an absolute http:// or https:// URL'));
    return z.NEVER;
  }
  if (url.username !== '' || url.password !== '') {
    ctx.issues.push(problem('must not carry a user name or password'));
    return z.NEVER;
  }
  return url;
});

const MAX_SECRET = 4096;
const secretSchema = (minLength = 1) =>
  z
    .string()
    .min(minLength, `must be at least ${minLength} characters`)
    .max(MAX_SECRET, `must be at most ${MAX_SECRET} characters`)
    .transform((value) => new Secret(value));

const text = () => ({ parse: textSchema, input: { type: 'text' } as const });
const url = () => ({ parse: urlSchema, input: { type: 'url' } as const });
const secret = (minLength?: number) => ({
  parse: secretSchema(minLength),
  input: { type: 'secret' } as const,
  secret: true,
});
const boolean = () => ({
  parse: z.string().transform((value, ctx) => {
    const v = value.toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    ctx.issues.push(problem('must be "true" or "false"'));
    return z.NEVER;
  }),
  input: { type: 'boolean' } as const,
});
const integer = (min: number, max: number) => ({
  parse: z.string().transform((value, ctx) => {
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    ctx.issues.push(problem(`must be a whole number from ${min} to ${max}`));
    return z.NEVER;
  }),
  input: { type: 'integer' } as const,
});
/** Case-insensitive, read as the canonical spelling. */
const choice = <const T extends string>(options: readonly T[]) => ({
  parse: z.string().transform((value, ctx): T => {
    const found = options.find((o) => o.toLowerCase() === value.toLowerCase());
    if (found !== undefined) return found;
    ctx.issues.push(problem(`must be one of ${options.map((o) => `"${o}"`).join(', ')}`));
    return z.NEVER;
  }),
  input: { type: 'choice', options } as const,
});
/** NCRONTAB, parsed by the cron library; see schedule.ts. */
const schedule = () => ({
  parse: z.string().transform((value, ctx) => {
    const found = scheduleProblem(value);
    if (found === null) return value.split(/\s+/).join(' ');
    ctx.issues.push(problem(found));
    return z.NEVER;
  }),
  input: { type: 'text' } as const,
});
/** EWS_SERVER: a host name or IP (optionally with port); the URL is derived as the product always did. */
const server = () => ({
  parse: textSchema.transform((value, ctx) => {
    if (/^[A-Za-z0-9.\-:[\]]+$/.test(value) && URL.canParse(`https://${value}/`)) return value;
    ctx.issues.push(problem('must be a server name or IP address (or set EWS_URL)'));
    return z.NEVER;
  }),
  input: { type: 'text' } as const,
});

function setting<T, const D extends T | null, const A extends SettingAccess>(
  row: Omit<SettingRow<T, D>, 'secret' | 'infra' | 'access'> & {
    readonly access: A;
    readonly secret?: boolean;
    readonly infra?: InfraRole;
  },
): SettingRow<T, D> & { readonly access: A } {
  return { ...row, secret: row.secret ?? false, infra: row.infra ?? 'parameter' };
}

export const DEFAULT_SCAN_SCHEDULE = '0 0 3 * * 1';
export const DEFAULT_STORAGE = 'UseDevelopmentStorage=true';
export const DEFAULT_PORT = 7071;

/** The public cloud and the national clouds (learn.microsoft.com/graph/deployments). */
const AUTHORITY_HOSTS = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn'];
const GRAPH_HOSTS = [
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
];

const identity = (storage: StorageSettings) => (storage.kind === 'identity' ? storage : null);
/** The parts of an identity-based storage connection (Azure); read together by load-settings.ts. */
const storagePart = <T>(
  parse: { parse: z.ZodType<T, string>; input: SettingInput },
  of: (s: Settings) => T | null,
) => setting({ ...parse, default: null, access: 'deployment-only', infra: 'derived', of });
export const SETTING_TABLE = {
  CALENDAR_SOURCE: setting({
    ...choice(['graph', 'ews', 'hybrid']),
    default: 'graph',
    access: 'read-write',
    page: { group: 'General', label: 'Calendar source' },
    of: (s) => s.calendarSource,
  }),
  INTEGRATION_ENABLED: setting({
    ...boolean(),
    default: true,
    access: 'read-write',
    page: { group: null, label: 'Activate Microsoft Exchange integration' },
    of: (s) => s.integrationEnabled,
  }),
  CALLBACK_URL: setting({
    ...url(),
    default: null,
    access: 'read-write',
    page: { group: 'General', label: 'Public URL of this service' },
    of: (s) => s.callbackUrl,
  }),
  GRAPH_TENANT_ID: setting({
    ...text(),
    default: null,
    access: 'read-write',
    page: { group: 'Microsoft Graph (Exchange Online)', label: 'Tenant ID' },
    of: (s) => s.graph.tenantId,
  }),
  GRAPH_CLIENT_ID: setting({
    ...text(),
    default: null,
    access: 'read-write',
    page: { group: 'Microsoft Graph (Exchange Online)', label: 'Application (client) ID' },
    of: (s) => s.graph.clientId,
  }),
  GRAPH_CLIENT_SECRET: setting({
    ...secret(),
    default: null,
    access: 'write-only',
    page: { group: 'Microsoft Graph (Exchange Online)', label: 'Client secret' },
    of: (s) => s.graph.clientSecret,
  }),
  GRAPH_CLIENT_CERTIFICATE_PATH: setting({
    ...text(),
    default: null,
    access: 'read-write',
    page: { group: 'Microsoft Graph (Exchange Online)', label: 'Client certificate (file path)' },
    of: (s) => s.graph.clientCertificatePath,
  }),
  GRAPH_BASE_URL: setting({
    ...url(),
    default: new URL('https://graph.microsoft.com'),
    access: 'read-write',
    page: { group: 'Microsoft Graph (Exchange Online)', label: 'Graph endpoint' },
    hosts: GRAPH_HOSTS,
    of: (s) => s.graph.baseUrl,
  }),
  GRAPH_AUTHORITY_HOST: setting({
    ...url(),
    default: new URL('https://login.microsoftonline.com'),
    access: 'read-write',
    page: { group: 'Microsoft Graph (Exchange Online)', label: 'Entra ID authority' },
    hosts: AUTHORITY_HOSTS,
    of: (s) => s.graph.authorityHost,
  }),
  EWS_SERVER: setting({
    ...server(),
    default: null,
    access: 'read-write',
    page: { group: 'EWS (Exchange Server)', label: 'Exchange server (name or IP)' },
    of: (s) => s.ews.url?.host ?? null,
  }),
  EWS_URL: setting({
    ...url(),
    default: null,
    access: 'read-write',
    page: { group: 'EWS (Exchange Server)', label: 'EWS URL' },
    of: (s) => s.ews.url,
  }),
  EWS_USERNAME: setting({
    ...text(),
    default: null,
    access: 'read-write',
    page: { group: 'EWS (Exchange Server)', label: 'Service account' },
    of: (s) => s.ews.username,
  }),
  EWS_PASSWORD: setting({
    ...secret(),
    default: null,
    access: 'write-only',
    page: { group: 'EWS (Exchange Server)', label: 'Service account password' },
    of: (s) => s.ews.password,
  }),
  EWS_AUTH: setting({
    ...choice(['ntlm', 'basic']),
    default: 'ntlm',
    access: 'read-write',
    page: { group: 'EWS (Exchange Server)', label: 'Authentication' },
    of: (s) => s.ews.auth,
  }),
  PHONELINK_URL: setting({
    ...url(),
    default: null,
    access: 'read-write',
    page: { group: 'PHONE-LiNK', label: 'PHONE-LiNK server URL' },
    of: (s) => s.phonelink.url,
  }),
  PHONELINK_API_KEY: setting({
    ...secret(),
    default: null,
    access: 'write-only',
    page: { group: 'PHONE-LiNK', label: 'API key' },
    of: (s) => s.phonelink.apiKey,
  }),
  PHONELINK_WEBHOOK_SECRET: setting({
    ...secret(MIN_KEY_LENGTH),
    default: null,
    access: 'write-only',
    page: { group: 'PHONE-LiNK', label: 'Secret PHONE-LiNK calls us with' },
    of: (s) => s.phonelink.webhookSecret,
  }),
  SCAN_SCHEDULE: setting({
    ...schedule(),
    default: DEFAULT_SCAN_SCHEDULE,
    access: 'read-write',
    page: { group: 'Scan and policy', label: 'Scan schedule (NCRONTAB, UTC)' },
    of: (s) => s.scanSchedule,
  }),
  SCAN_WINDOW_DAYS: setting({
    ...integer(1, 62),
    default: 7,
    access: 'read-write',
    page: { group: 'Scan and policy', label: 'Calendar window (days)' },
    of: (s) => s.scanWindowDays,
  }),
  TENTATIVE_AS: setting({
    ...choice(['Meeting', 'Available']),
    default: 'Meeting',
    access: 'read-write',
    page: { group: 'Scan and policy', label: 'Tentative appointments count as' },
    of: (s) => s.policy.tentativeAs,
  }),
  SHARE_SUBJECTS: setting({
    ...boolean(),
    default: true,
    access: 'read-write',
    page: { group: 'Scan and policy', label: 'Share subjects with PHONE-LiNK' },
    of: (s) => s.policy.shareSubjects,
  }),
  AzureWebJobsStorage: setting({
    parse: z
      .string()
      .regex(/^UseDevelopmentStorage=true$|[A-Za-z]+=[^;]+/i, 'must be a storage connection string')
      .transform((value) => new Secret(value)),
    input: { type: 'secret' },
    secret: true,
    default: null,
    access: 'deployment-only',
    page: { group: 'Deployment (read only)', label: 'Storage' },
    infra: 'local',
    // An identity-based connection is set too (by its parts): shown as set, as in Azure.
    of: (s) =>
      s.storage.kind === 'connectionString'
        ? s.storage.connectionString
        : new Secret(`identity:${s.storage.accountName}`),
  }),
  AzureWebJobsStorage__accountName: storagePart(
    {
      parse: z
        .string()
        .regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3-24 lower-case letters and digits)'),
      input: { type: 'text' },
    },
    (s) => identity(s.storage)?.accountName ?? null,
  ),
  AzureWebJobsStorage__queueServiceUri: storagePart(
    url(),
    (s) => identity(s.storage)?.queueServiceUri ?? null,
  ),
  AzureWebJobsStorage__tableServiceUri: storagePart(
    url(),
    (s) => identity(s.storage)?.tableServiceUri ?? null,
  ),
  AzureWebJobsStorage__clientId: storagePart(text(), (s) => identity(s.storage)?.clientId ?? null),
  AzureWebJobsStorage__credential: storagePart(choice(['managedidentity']), (s) =>
    s.storage.kind === 'identity' ? 'managedidentity' : null,
  ),
  ADMIN_API_KEY: setting({
    ...secret(MIN_KEY_LENGTH),
    default: null,
    access: 'deployment-only',
    page: { group: 'Deployment (read only)', label: 'Admin API key' },
    of: (s) => s.adminApiKey,
  }),
  APPLICATIONINSIGHTS_CONNECTION_STRING: setting({
    ...secret(),
    default: null,
    access: 'deployment-only',
    page: { group: 'Deployment (read only)', label: 'Application Insights' },
    infra: 'derived',
    of: (s) => s.appInsightsConnectionString,
  }),
  // The deployment's user-assigned identity: every managed-identity credential names it.
  AZURE_CLIENT_ID: setting({
    ...text(),
    default: null,
    access: 'deployment-only',
    infra: 'derived',
    of: (s) => s.managedIdentityClientId,
  }),
  PORT: setting({
    ...integer(0, 65535),
    default: DEFAULT_PORT,
    access: 'deployment-only',
    infra: 'local',
    of: (s) => s.port,
  }),
};

export type SettingName = keyof typeof SETTING_TABLE;
type ValueOf<R> = R extends { readonly parse: z.ZodType<infer T, string>; readonly default: infer D }
  ? T | D
  : never;
/** Every setting's parsed value, by name. */
export type SettingValues = { readonly [N in SettingName]: ValueOf<(typeof SETTING_TABLE)[N]> };

export const SETTING_NAMES = Object.keys(SETTING_TABLE) as readonly SettingName[];

/** The secrets an administrator may write (kept in the secret vault, never in Table storage). */
export type WritableSecretName = {
  [N in SettingName]: (typeof SETTING_TABLE)[N]['access'] extends 'write-only' ? N : never;
}[SettingName];

export const WRITABLE_SECRETS = SETTING_NAMES.filter(
  (name): name is WritableSecretName => settingRow(name).access === 'write-only',
);

export function settingRow(name: SettingName): SettingRow<unknown, unknown> {
  return SETTING_TABLE[name] as SettingRow<unknown, unknown>;
}

/** Parses one setting's text: its value, or what is wrong with it in words (never the value). */
export function parseSetting<N extends SettingName>(
  name: N,
  value: string,
): { ok: true; value: SettingValues[N] } | { ok: false; problem: string } {
  const parsed = settingRow(name).parse.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data as SettingValues[N] };
  return { ok: false, problem: parsed.error.issues[0]?.message ?? 'is not valid' };
}

/** The credentials an operator supplies: @secure parameters kept in Key Vault in Azure. */
export const CREDENTIAL_SETTINGS = SETTING_NAMES.filter(
  (name) => settingRow(name).secret && settingRow(name).infra === 'parameter',
);

/** Settings as their values by name (what `assembleSettings` builds from). */
export function settingValuesOf(settings: Settings): SettingValues {
  const values: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) values[name] = settingRow(name).of(settings);
  return values as SettingValues;
}

/** The Settings object the rest of the app reads, from every setting's value. */
export function assembleSettings(v: SettingValues, storage: StorageSettings): Settings {
  const ewsServer = v.EWS_SERVER === null ? null : new URL(`https://${v.EWS_SERVER}/ews/exchange.asmx`);
  return {
    calendarSource: v.CALENDAR_SOURCE,
    integrationEnabled: v.INTEGRATION_ENABLED,
    callbackUrl: v.CALLBACK_URL,
    graph: {
      tenantId: v.GRAPH_TENANT_ID,
      clientId: v.GRAPH_CLIENT_ID,
      clientSecret: v.GRAPH_CLIENT_SECRET,
      clientCertificatePath: v.GRAPH_CLIENT_CERTIFICATE_PATH,
      baseUrl: v.GRAPH_BASE_URL,
      authorityHost: v.GRAPH_AUTHORITY_HOST,
    },
    ews: {
      url: v.EWS_URL ?? ewsServer,
      username: v.EWS_USERNAME,
      password: v.EWS_PASSWORD,
      auth: v.EWS_AUTH,
    },
    phonelink: {
      url: v.PHONELINK_URL,
      apiKey: v.PHONELINK_API_KEY,
      webhookSecret: v.PHONELINK_WEBHOOK_SECRET,
    },
    scanSchedule: v.SCAN_SCHEDULE,
    scanWindowDays: v.SCAN_WINDOW_DAYS,
    policy: { tentativeAs: v.TENTATIVE_AS, shareSubjects: v.SHARE_SUBJECTS },
    storage,
    adminApiKey: v.ADMIN_API_KEY,
    appInsightsConnectionString: v.APPLICATIONINSIGHTS_CONNECTION_STRING,
    managedIdentityClientId: v.AZURE_CLIENT_ID,
    port: v.PORT,
  };
}
