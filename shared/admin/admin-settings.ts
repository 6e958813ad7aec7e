import { z } from 'zod';
import { Secret } from '../config/secret.ts';
import { parseSetting, type SettingName, settingRow } from '../config/setting-table.ts';
import type { Settings } from '../config/settings.ts';
import { fail, ok, type Result } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { RuntimeSettingsStore } from '../storage/stores.ts';
import { isWritableSecret, type SecretVault, type WritableSecretName } from '../vault/secret-vault.ts';
import { destinationProblems } from './credential-destinations.ts';
import { mergeSettings, overruled } from './effective-settings.ts';
import { ADMIN_SETTING_NAMES, adminKind, isAdminSettingName, type SettingKind } from './settings-catalog.ts';

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
  for (const name of ADMIN_SETTING_NAMES) {
    const row = settingRow(name);
    const value = row.of(settings);
    if (row.secret) {
      view[name] = { set: value !== null };
      continue;
    }
    // A written text reads back exactly as written; start-up values as the settings hold them.
    const type = row.input.type;
    const shown = type === 'text' || type === 'url' ? (written.get(name) ?? plain(value)) : plain(value);
    view[name] = type === 'url' && typeof shown === 'string' ? withoutCredentials(shown) : shown;
  }
  return view;
}

function plain(value: unknown): SettingValue {
  if (value instanceof URL) return value.href;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

/** A URL may carry a user name and password (`https://user:secret@host`, stored before they were refused): never shown. */
function withoutCredentials(value: string): string {
  const url = URL.parse(value);
  if (url === null || (url.username === '' && url.password === '')) return value;
  url.username = '';
  url.password = '';
  return url.href;
}

const unchangedSecret = z.strictObject({ set: z.boolean() });

/** A JSON object, read by its own keys: `__proto__` and friends are keys like any other, not prototype changes. */
function ownEntries(body: unknown): [string, unknown][] | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  return Object.entries(body);
}

/**
 * PUT /api/settings: a JSON object of SPEC §7 names. `null` returns a setting to its start-up
 * value; a secret takes a new value (a string), `null`, or `{"set": …}` as GET shows it (no
 * change), so what GET answers can be sent back unchanged.
 */
export async function writeAdminSettings(
  deps: SettingsDeps,
  body: unknown,
): Promise<Result<SettingsView, readonly SettingProblem[]>> {
  const entries = ownEntries(body);
  if (entries === null) {
    return fail([{ name: '(body)', problem: 'must be a JSON object of setting names and values' }]);
  }
  const problems: SettingProblem[] = [];
  /** What is stored, by name ('' stands for "no longer overruled"). */
  const stored = new Map<SettingName, string | number | boolean>();
  /** The same values as parsed, for the checks of where credentials go. */
  const parsed = new Map<SettingName, unknown>();
  const secretWrites = new Map<WritableSecretName, string | null>();

  for (const [name, value] of entries) {
    if (!isAdminSettingName(name)) {
      problems.push({ name, problem: 'is not a setting (SPEC §7 names only)' });
      continue;
    }
    const kind = adminKind(name);
    const problem = checkType(kind, value);
    if (problem !== null) {
      problems.push({ name, problem });
      continue;
    }
    if (kind.type === 'secret') {
      if (!isWritableSecret(name) || unchangedSecret.safeParse(value).success) continue;
      const text = typeof value === 'string' ? value : null;
      // The form of each value is checked by the same parser as start-up settings.
      const form = text === null ? null : parseSetting(name, text);
      if (form !== null && !form.ok) problems.push({ name, problem: form.problem });
      else secretWrites.set(name, text);
    } else if (value === null) {
      stored.set(name, '');
      parsed.set(name, null);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const text = typeof value === 'string' ? value.trim() : value;
      const form = parseSetting(name, String(text));
      if (form.ok) {
        stored.set(name, text);
        parsed.set(name, form.value);
      } else problems.push({ name, problem: form.problem });
    }
  }
  if (problems.length > 0) return fail(problems);

  const [values, secrets] = await Promise.all([deps.runtimeSettings.get(), deps.secretVault.readAll()]);
  const before = mergeSettings(deps.settings, values, secrets);
  const secretsAfter = new Map(secrets);
  for (const [name, value] of secretWrites) {
    if (value === null) secretsAfter.delete(name);
    else secretsAfter.set(name, new Secret(value));
  }
  const after = mergeSettings(deps.settings, { ...values, ...Object.fromEntries(stored) }, secretsAfter);
  const misplaced = destinationProblems(
    deps.settings,
    before,
    after,
    { plain: parsed, secrets: secretWrites },
    (name) => secretsAfter.has(name),
  );
  if (misplaced.length > 0) return fail(misplaced);

  // The store merges; '' stands for "no longer overruled" (back to the start-up value).
  if (stored.size > 0) await deps.runtimeSettings.put(Object.fromEntries(stored));
  for (const [name, value] of secretWrites) {
    if (value === null) await deps.secretVault.delete(name);
    else await deps.secretVault.set(name, new Secret(value));
  }

  const changed = [...stored.keys(), ...secretWrites.keys()];
  if (changed.length > 0)
    await deps.log.write(`Settings changed by the administrator: ${changed.join(', ')}`);
  const view = await readAdminSettings(deps);
  if (view.INTEGRATION_ENABLED !== before.integrationEnabled) {
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

function checkType(kind: SettingKind, value: unknown): string | null {
  if (kind.type === 'fixed') return 'is set by the deployment and cannot be changed here';
  if (value === null) return null;
  switch (kind.type) {
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
