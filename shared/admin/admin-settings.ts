import { z } from 'zod';
import { parseSettings } from '../config/load-settings.ts';
import { Secret } from '../config/secret.ts';
import type { Settings } from '../config/settings.ts';
import { fail, ok, type Result } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { RuntimeSettingsStore } from '../storage/stores.ts';
import { isWritableSecret, type SecretVault } from '../vault/secret-vault.ts';
import { mergeSettings, overruled } from './effective-settings.ts';
import { ADMIN_SETTINGS, type AdminSettingName, isAdminSettingName } from './settings-catalog.ts';

export interface SettingsDeps {
  /** The start-up settings (environment, local.settings.json). */
  readonly settings: Settings;
  readonly runtimeSettings: RuntimeSettingsStore;
  readonly secretVault: SecretVault;
  readonly log: AdminLog;
  /** "Activate" starts the integration as start-up does: a scan. */
  readonly requestScan: (reason: 'force') => Promise<void>;
}

export type SettingValue = string | number | boolean | null | { readonly set: boolean };
/** SPEC §5: the settings by SPEC §7 name; secrets only say whether they are set. */
export type SettingsView = Readonly<Record<string, SettingValue>>;

export interface SettingProblem {
  readonly name: string;
  readonly problem: string;
}

export async function readAdminSettings(deps: SettingsDeps): Promise<SettingsView> {
  const [values, secrets] = await Promise.all([deps.runtimeSettings.get(), deps.secretVault.readAll()]);
  const settings = mergeSettings(deps.settings, values, secrets);
  const written = overruled(values);
  const view: Record<string, SettingValue> = {};
  for (const name of Object.keys(ADMIN_SETTINGS)) {
    if (!isAdminSettingName(name)) continue;
    // A written text reads back exactly as written; start-up values as the settings hold them.
    const kind = ADMIN_SETTINGS[name].type;
    const value =
      kind === 'text' || kind === 'url'
        ? (written.get(name) ?? settingValueOf(name, settings))
        : settingValueOf(name, settings);
    view[name] = kind === 'url' && typeof value === 'string' ? withoutCredentials(value) : value;
  }
  return view;
}

const text = (url: URL | null): string | null => (url === null ? null : url.href);

/** A URL may carry a user name and password (`https://user:secret@host`): never shown. */
function withoutCredentials(value: string): string {
  const url = URL.parse(value);
  if (url === null || (url.username === '' && url.password === '')) return value;
  url.username = '';
  url.password = '';
  return url.href;
}

function settingValueOf(name: AdminSettingName, settings: Settings): SettingValue {
  switch (name) {
    case 'CALLBACK_URL':
      return text(settings.callbackUrl);
    case 'GRAPH_TENANT_ID':
      return settings.graph.tenantId;
    case 'GRAPH_CLIENT_ID':
      return settings.graph.clientId;
    case 'GRAPH_CLIENT_SECRET':
      return { set: settings.graph.clientSecret !== null };
    case 'GRAPH_CLIENT_CERTIFICATE_PATH':
      return settings.graph.clientCertificatePath;
    case 'GRAPH_BASE_URL':
      return text(settings.graph.baseUrl);
    case 'GRAPH_AUTHORITY_HOST':
      return text(settings.graph.authorityHost);
    case 'EWS_SERVER':
      return settings.ews.url?.host ?? null;
    case 'EWS_URL':
      return text(settings.ews.url);
    case 'EWS_USERNAME':
      return settings.ews.username;
    case 'EWS_PASSWORD':
      return { set: settings.ews.password !== null };
    case 'PHONELINK_URL':
      return text(settings.phonelink.url);
    case 'PHONELINK_API_KEY':
      return { set: settings.phonelink.apiKey !== null };
    case 'PHONELINK_WEBHOOK_SECRET':
      return { set: settings.phonelink.webhookSecret !== null };
    case 'SCAN_SCHEDULE':
      return settings.scanSchedule;
    case 'AzureWebJobsStorage':
      return { set: true };
    case 'ADMIN_API_KEY':
      return { set: settings.adminApiKey !== null };
    case 'APPLICATIONINSIGHTS_CONNECTION_STRING':
      return { set: settings.appInsightsConnectionString !== null };
    case 'INTEGRATION_ENABLED':
      return settings.integrationEnabled;
    case 'SHARE_SUBJECTS':
      return settings.policy.shareSubjects;
    case 'SCAN_WINDOW_DAYS':
      return settings.scanWindowDays;
    case 'CALENDAR_SOURCE':
      return settings.calendarSource;
    case 'EWS_AUTH':
      return settings.ews.auth;
    case 'TENTATIVE_AS':
      return settings.policy.tentativeAs;
  }
}

const unchangedSecret = z.strictObject({ set: z.boolean() });
const bodySchema = z.record(z.string(), z.unknown());

/**
 * PUT /api/settings: a JSON object of SPEC §7 names. `null` returns a setting to its start-up
 * value; a secret takes a new value (a string), `null`, or `{"set": …}` as GET shows it (no
 * change), so what GET answers can be sent back unchanged.
 */
export async function writeAdminSettings(
  deps: SettingsDeps,
  body: unknown,
): Promise<Result<SettingsView, readonly SettingProblem[]>> {
  const parsedBody = bodySchema.safeParse(body);
  if (!parsedBody.success || Array.isArray(body)) {
    return fail([{ name: '(body)', problem: 'must be a JSON object of setting names and values' }]);
  }
  const problems: SettingProblem[] = [];
  const plain = new Map<AdminSettingName, string | number | boolean | null>();
  const secretWrites = new Map<AdminSettingName, string | null>();

  for (const [name, value] of Object.entries(parsedBody.data)) {
    if (!isAdminSettingName(name)) {
      problems.push({ name, problem: 'is not a setting (SPEC §7 names only)' });
      continue;
    }
    const kind = ADMIN_SETTINGS[name];
    const problem = checkType(kind.type, value);
    if (problem !== null) {
      problems.push({ name, problem });
      continue;
    }
    if (kind.type === 'secret') {
      if (!unchangedSecret.safeParse(value).success)
        secretWrites.set(name, typeof value === 'string' ? value : null);
    } else if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      value === null
    ) {
      plain.set(name, typeof value === 'string' ? value.trim() : value);
    }
  }
  // The form of each value is checked by the same parser as start-up settings.
  const candidate: Record<string, string> = {};
  for (const [name, value] of plain) if (value !== null) candidate[name] = String(value);
  const parsed = parseSettings(candidate);
  if (!parsed.ok) {
    const written = new Set<string>(plain.keys());
    for (const p of parsed.error) if (written.has(p.name)) problems.push(p);
  }
  if (problems.length > 0) return fail(problems);

  const before = await deps.runtimeSettings.get();
  const wasEnabled = mergeSettings(
    deps.settings,
    before,
    await deps.secretVault.readAll(),
  ).integrationEnabled;
  if (plain.size > 0) {
    // The store merges; '' stands for "no longer overruled" (back to the start-up value).
    const next: Record<string, string | number | boolean> = {};
    for (const [name, value] of plain) next[name] = value ?? '';
    await deps.runtimeSettings.put(next);
  }
  for (const [name, value] of secretWrites) {
    if (!isWritableSecret(name)) continue;
    if (value === null) await deps.secretVault.delete(name);
    else await deps.secretVault.set(name, new Secret(value));
  }

  const changed = [...plain.keys(), ...secretWrites.keys()];
  if (changed.length > 0)
    await deps.log.write(`Settings changed by the administrator: ${changed.join(', ')}`);
  const view = await readAdminSettings(deps);
  if (view.INTEGRATION_ENABLED !== wasEnabled) {
    if (view.INTEGRATION_ENABLED === true) {
      await deps.log.write('Integration activated');
      await deps.requestScan('force');
    } else {
      await deps.log.write(
        'Integration deactivated: no calendar is read and no presence is pushed',
        'warning',
      );
    }
  }
  return ok(view);
}

function checkType(type: (typeof ADMIN_SETTINGS)[AdminSettingName]['type'], value: unknown): string | null {
  if (type === 'fixed') return 'is set by the deployment and cannot be changed here';
  if (value === null) return null;
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? null : 'must be a whole number';
    case 'secret':
      if (unchangedSecret.safeParse(value).success) return null;
      return typeof value === 'string' && value !== ''
        ? null
        : 'must be a non-empty string (or null to clear)';
    default:
      return typeof value === 'string' && value.trim() !== '' ? null : 'must be a non-empty string (or null)';
  }
}
