import { join } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { AppError } from '../errors.ts';
import { createFileSecretVault } from './file-secret-vault.ts';
import { createKeyVaultSecretVault } from './key-vault-secret-vault.ts';
import type { SecretVault } from './secret-vault.ts';

/**
 * Key Vault when `AZURE_KEY_VAULT_ENDPOINT` names one (the deployment sets it); locally the
 * git-ignored `.dev-data/secrets.json`. In Azure without a vault, secrets cannot be written at
 * run time (the package directory is read-only and shared by instances): set them as app settings.
 */
export function createSecretVault(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  /** The user-assigned identity (AZURE_CLIENT_ID), as for every credential. */
  managedIdentityClientId: string | null,
): SecretVault {
  const vaultUrl = env.AZURE_KEY_VAULT_ENDPOINT?.trim();
  if (vaultUrl) {
    const clientId = managedIdentityClientId;
    return createKeyVaultSecretVault(
      vaultUrl,
      new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}),
    );
  }
  if (env.WEBSITE_INSTANCE_ID) return noSecretVault;
  return createFileSecretVault(join(cwd, '.dev-data', 'secrets.json'));
}

const refuse = async (): Promise<never> => {
  throw new AppError(
    'config.invalid',
    'Secrets can be written here only with a Key Vault (AZURE_KEY_VAULT_ENDPOINT)',
  );
};

export const noSecretVault: SecretVault = {
  kind: 'none',
  readAll: async () => new Map(),
  describe: async () => new Map(),
  set: refuse,
  delete: refuse,
};
