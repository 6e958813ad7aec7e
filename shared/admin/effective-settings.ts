import type { Secret } from '../config/secret.ts';
import {
  assembleSettings,
  parseSetting,
  type SettingName,
  type SettingValues,
  settingRow,
  settingValuesOf,
} from '../config/setting-table.ts';
import type { Settings } from '../config/settings.ts';
import type { RuntimeSettingsStore } from '../storage/stores.ts';
import { rememberSecret } from '../telemetry/redaction.ts';
import type { SecretVault, WritableSecretName } from '../vault/secret-vault.ts';
import { isAdminSettingName } from './settings-catalog.ts';

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
export function overruled(values: RuntimeValues): Map<SettingName, string> {
  const names = new Map<SettingName, string>();
  for (const [name, value] of Object.entries(values)) {
    if (isAdminSettingName(name) && settingRow(name).access !== 'deployment-only' && value !== '') {
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
  // A secret written at run time is as secret as one set at start-up: telemetry scrubs it too.
  for (const secret of secrets.values()) rememberSecret(secret.reveal());
  const written = overruled(values);
  for (const [name, secret] of secrets) written.set(name, secret.reveal());
  if (written.size === 0) return startup;
  // Written values are parsed by the start-up parser and replace only their own start-up values.
  const merged: Record<string, unknown> = { ...settingValuesOf(startup) };
  for (const [name, text] of written) {
    const parsed = parseSetting(name, text);
    if (!parsed.ok) return startup;
    merged[name] = parsed.value;
  }
  // EWS_URL wins over EWS_SERVER where both are given together; a server written alone replaces the start-up URL.
  if (written.has('EWS_SERVER') && !written.has('EWS_URL')) merged.EWS_URL = null;
  return assembleSettings(merged as SettingValues, startup.storage);
}
