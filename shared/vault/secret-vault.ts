import type { Secret } from '../config/secret.ts';
import { WRITABLE_SECRETS, type WritableSecretName } from '../config/setting-table.ts';
import type { Instant } from '../presence/model.ts';

export { WRITABLE_SECRETS, type WritableSecretName };

export function isWritableSecret(name: string): name is WritableSecretName {
  return (WRITABLE_SECRETS as readonly string[]).includes(name);
}

export interface StoredSecretInfo {
  readonly updatedAt: Instant | null;
  /** When the vault knows it (a Key Vault secret's `expires` attribute). */
  readonly expiresAt: Instant | null;
}

/**
 * Where secrets written at run time live: Key Vault in Azure, a git-ignored file locally.
 * Never Table storage. A stored secret takes precedence over the start-up setting of that name.
 */
export interface SecretVault {
  readonly kind: 'key-vault' | 'file' | 'none';
  /** The secrets written at run time. */
  readAll(): Promise<ReadonlyMap<WritableSecretName, Secret>>;
  describe(): Promise<ReadonlyMap<WritableSecretName, StoredSecretInfo>>;
  set(name: WritableSecretName, value: Secret): Promise<void>;
  /** Forgets the stored value, so the start-up setting applies again. */
  delete(name: WritableSecretName): Promise<void>;
}
