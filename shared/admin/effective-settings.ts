import { parseSettings } from '../config/load-settings.ts';
import type { Secret } from '../config/secret.ts';
import type { Settings } from '../config/settings.ts';
import type { RuntimeSettingsStore } from '../storage/stores.ts';
import type { SecretVault, WritableSecretName } from '../vault/secret-vault.ts';
import { ADMIN_SETTINGS, isAdminSettingName } from './settings-catalog.ts';

export type RuntimeValues = Readonly<Record<string, string | number | boolean>>;

/**
 * The settings in force: the start-up settings, overruled by what an administrator wrote
 * through PUT /api/settings (Table storage) and by secrets written to the vault. Read this,
 * not the start-up Settings, wherever a setting may change at run time.
 */
export async function loadEffectiveSettings(
  startup: Settings,
  runtime: RuntimeSettingsStore,
  vault: SecretVault,
): Promise<Settings> {
  const [values, secrets] = await Promise.all([runtime.get(), vault.readAll()]);
  return mergeSettings(startup, values, secrets);
}

/** The names an administrator has overruled ('' is how a reset to the start-up value is stored). */
export function overruled(values: RuntimeValues): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    if (isAdminSettingName(name) && ADMIN_SETTINGS[name].type !== 'fixed' && value !== '') {
      names.set(name, String(value));
    }
  }
  return names;
}

export function mergeSettings(
  startup: Settings,
  values: RuntimeValues,
  secrets: ReadonlyMap<WritableSecretName, Secret>,
): Settings {
  const written = overruled(values);
  for (const [name, secret] of secrets) written.set(name, secret.reveal());
  if (written.size === 0) return startup;
  // Written values are parsed by the start-up parser; then only the written ones replace start-up values.
  const parsed = parseSettings(Object.fromEntries(written));
  if (!parsed.ok) return startup;
  const w = parsed.value;
  const has = (name: string) => written.has(name);
  const pick = <T>(name: string, mine: T, theirs: T): T => (has(name) ? theirs : mine);
  return {
    ...startup,
    calendarSource: pick('CALENDAR_SOURCE', startup.calendarSource, w.calendarSource),
    integrationEnabled: pick('INTEGRATION_ENABLED', startup.integrationEnabled, w.integrationEnabled),
    callbackUrl: pick('CALLBACK_URL', startup.callbackUrl, w.callbackUrl),
    graph: {
      tenantId: pick('GRAPH_TENANT_ID', startup.graph.tenantId, w.graph.tenantId),
      clientId: pick('GRAPH_CLIENT_ID', startup.graph.clientId, w.graph.clientId),
      clientSecret: pick('GRAPH_CLIENT_SECRET', startup.graph.clientSecret, w.graph.clientSecret),
      clientCertificatePath: pick(
        'GRAPH_CLIENT_CERTIFICATE_PATH',
        startup.graph.clientCertificatePath,
        w.graph.clientCertificatePath,
      ),
      baseUrl: pick('GRAPH_BASE_URL', startup.graph.baseUrl, w.graph.baseUrl),
      authorityHost: pick('GRAPH_AUTHORITY_HOST', startup.graph.authorityHost, w.graph.authorityHost),
    },
    ews: {
      url: has('EWS_URL') || has('EWS_SERVER') ? w.ews.url : startup.ews.url,
      username: pick('EWS_USERNAME', startup.ews.username, w.ews.username),
      password: pick('EWS_PASSWORD', startup.ews.password, w.ews.password),
      auth: pick('EWS_AUTH', startup.ews.auth, w.ews.auth),
    },
    phonelink: {
      url: pick('PHONELINK_URL', startup.phonelink.url, w.phonelink.url),
      apiKey: pick('PHONELINK_API_KEY', startup.phonelink.apiKey, w.phonelink.apiKey),
      webhookSecret: pick(
        'PHONELINK_WEBHOOK_SECRET',
        startup.phonelink.webhookSecret,
        w.phonelink.webhookSecret,
      ),
    },
    scanSchedule: pick('SCAN_SCHEDULE', startup.scanSchedule, w.scanSchedule),
    scanWindowDays: pick('SCAN_WINDOW_DAYS', startup.scanWindowDays, w.scanWindowDays),
    policy: {
      tentativeAs: pick('TENTATIVE_AS', startup.policy.tentativeAs, w.policy.tentativeAs),
      shareSubjects: pick('SHARE_SUBJECTS', startup.policy.shareSubjects, w.policy.shareSubjects),
    },
  };
}
