import type { Secret } from '../config/secret.ts';
import type { Instant } from '../presence/model.ts';

/** The SPEC §7 secrets an administrator may write through PUT /api/settings. */
export const WRITABLE_SECRETS = [
  'GRAPH_CLIENT_SECRET',
  'EWS_PASSWORD',
  'PHONELINK_API_KEY',
  'PHONELINK_WEBHOOK_SECRET',
] as const;
export type WritableSecretName = (typeof WRITABLE_SECRETS)[number];

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
