import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, fail, ok, type Result } from '../errors.ts';
import { Secret } from './secret.ts';
import {
  assembleSettings,
  CREDENTIAL_SETTINGS,
  DEFAULT_PORT,
  DEFAULT_SCAN_SCHEDULE,
  DEFAULT_STORAGE,
  parseSetting,
  SETTING_NAMES,
  type SettingName,
  type SettingValues,
  settingRow,
} from './setting-table.ts';
import type { Settings, StorageSettings } from './settings.ts';

export type { SettingName };
/**
 * SPEC §7: settings come from the environment, then `local.settings.json` `Values` (as Core Tools
 * does), then defaults. Empty strings count as unset (the sample file ships empty secrets).
 *
 * What is *required* depends on what the caller is about to do (the offline demo supplies its
 * own PHONE-LiNK and Exchange; a deployed app needs them all), so `loadSettings` checks the form
 * of every setting that is present and the presence of only those named in `options.required`.
 * Every problem is collected: one AppError('config.invalid') names each bad setting, never its value.
 */
export { CREDENTIAL_SETTINGS, DEFAULT_PORT, DEFAULT_SCAN_SCHEDULE, DEFAULT_STORAGE, SETTING_NAMES };

export interface SettingProblem {
  readonly name: SettingName | 'local.settings.json';
  /** What is wrong, in words; never the value. */
  readonly problem: string;
}

export interface LoadSettingsOptions {
  /** Settings that must be present for what the caller is about to run. */
  readonly required?: readonly SettingName[];
}

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
  const values: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const value = raw(name);
    const parsed = value === null ? null : parseSetting(name, value);
    if (parsed !== null && !parsed.ok) problems.push({ name, problem: parsed.problem });
    values[name] = parsed?.ok ? parsed.value : settingRow(name).default;
  }
  // Every name was read above, each as its row's parser makes it.
  const parsed = values as SettingValues;
  const settings = assembleSettings(parsed, readStorage(parsed, raw, problems));
  const basic = basicAuthProblem(settings);
  if (basic !== null) problems.push({ name: 'EWS_AUTH', problem: basic });
  if (problems.length > 0) return fail(problems);
  return ok(deepFreeze(settings));
}

/** Basic authentication sends the EWS password itself: only over https:, whoever configures it. */
export function basicAuthProblem(settings: Settings): string | null {
  const url = settings.ews.url;
  return settings.ews.auth === 'basic' && url !== null && url.protocol !== 'https:'
    ? 'basic sends the password readable: only over an https:// EWS URL'
    : null;
}

/** The storage connection: a connection string, or the parts of an identity-based one (Azure). */
function readStorage(
  v: SettingValues,
  raw: (name: SettingName) => string | null,
  problems: SettingProblem[],
): StorageSettings {
  const devDefault = { kind: 'connectionString', connectionString: new Secret(DEFAULT_STORAGE) } as const;
  if (v.AzureWebJobsStorage !== null)
    return { kind: 'connectionString', connectionString: v.AzureWebJobsStorage };
  const accountName = v.AzureWebJobsStorage__accountName;
  const queueUri = v.AzureWebJobsStorage__queueServiceUri;
  const tableUri = v.AzureWebJobsStorage__tableServiceUri;
  if (accountName === null && queueUri === null && tableUri === null) return devDefault;
  if (raw('AzureWebJobsStorage__accountName') === null && (queueUri === null || tableUri === null)) {
    problems.push({
      name: 'AzureWebJobsStorage__accountName',
      problem: 'is required for an identity-based connection unless both service URIs are set',
    });
  }
  if (problems.length > 0) return devDefault;
  const uri = (value: URL | null, service: 'queue' | 'table') =>
    value ?? new URL(`https://${accountName}.${service}.core.windows.net`);
  const queueServiceUri = uri(queueUri, 'queue');
  return {
    kind: 'identity',
    accountName: accountName ?? queueServiceUri.hostname.split('.')[0] ?? '',
    queueServiceUri,
    tableServiceUri: uri(tableUri, 'table'),
    // The host's own setting first; else the app's user-assigned identity, as for every credential.
    clientId: v.AzureWebJobsStorage__clientId ?? v.AZURE_CLIENT_ID,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Secret) && !(value instanceof URL)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
