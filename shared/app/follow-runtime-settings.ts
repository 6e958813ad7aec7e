import { loadEffectiveSettings } from '../admin/effective-settings.ts';
import type { Settings } from '../config/settings.ts';
import type { RuntimeSettingsStore } from '../storage/stores.ts';
import type { SecretVault } from '../vault/secret-vault.ts';

/** How often a process looks for settings an administrator changed (one table read, one vault read). */
export const FOLLOW_INTERVAL_MS = 30_000;

export interface FollowedServices {
  readonly settings: Settings;
  readonly runtimeSettings: RuntimeSettingsStore;
  readonly secretVault: SecretVault;
}

/**
 * Keeps a process's services in step with PUT /api/settings: at most every FOLLOW_INTERVAL_MS
 * (and at once after `followSoon`), it reads the settings in force in the background and, when
 * they differ from those the services were built with, has them rebuilt. The caller goes on
 * with the services it has; the next call gets the new ones. Storage down: nothing changes.
 */
export class RuntimeSettingsFollower<S extends FollowedServices> {
  readonly startup: Settings;
  readonly #rebuild: (settings: Settings, current: S) => S;
  readonly #now: () => number;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #running: Promise<void> | null = null;

  constructor(
    startup: Settings,
    rebuild: (settings: Settings, current: S) => S,
    now: () => number = Date.now,
  ) {
    this.startup = startup;
    this.#rebuild = rebuild;
    this.#now = now;
  }

  /** Starts a check when one is due; `replace` receives rebuilt services. Returns the check, if one started. */
  follow(current: S, replace: (next: S) => void): Promise<void> | null {
    if (this.#running !== null || this.#now() - this.#checkedAt < FOLLOW_INTERVAL_MS) return null;
    this.#checkedAt = this.#now();
    this.#running = loadEffectiveSettings(this.startup, current.runtimeSettings, current.secretVault)
      .then((effective) => {
        if (fingerprint(effective) !== fingerprint(current.settings))
          replace(this.#rebuild(effective, current));
      })
      .catch(() => undefined)
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  /** The next `follow` checks at once (after this process changed a setting). */
  followSoon(): void {
    this.#checkedAt = Number.NEGATIVE_INFINITY;
  }
}

/** A comparison key of settings, secrets included; kept in memory only, never written anywhere. */
function fingerprint(settings: Settings): string {
  return JSON.stringify(settings, (_key, value: unknown) => {
    if (value instanceof URL) return value.href;
    if (
      typeof value === 'object' &&
      value !== null &&
      'reveal' in value &&
      typeof value.reveal === 'function'
    ) {
      return `secret:${String(value.reveal())}`;
    }
    return value;
  });
}
