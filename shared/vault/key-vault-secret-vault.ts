import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { Secret } from '../config/secret.ts';
import { AppError } from '../errors.ts';
import {
  type SecretVault,
  type StoredSecretInfo,
  WRITABLE_SECRETS,
  type WritableSecretName,
} from './secret-vault.ts';

/**
 * Secrets in Azure Key Vault, reached with the app's managed identity ("Key Vault Secrets
 * Officer" on the vault). Key Vault names allow no underscore: GRAPH_CLIENT_SECRET is stored
 * as graph-client-secret, the secret the deployment's Key Vault references name, so the app
 * settings resolve to what was written here when the app restarts.
 */
export function createKeyVaultSecretVault(vaultUrl: string, credential: TokenCredential): SecretVault {
  const client = new SecretClient(vaultUrl, credential);
  const vaultName = (name: WritableSecretName): string => name.toLowerCase().replaceAll('_', '-');

  const fetchOne = async (name: WritableSecretName) => {
    try {
      return await client.getSecret(vaultName(name));
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw new AppError('storage.unavailable', `Key Vault cannot be read (${vaultName(name)})`, {
        cause: error,
      });
    }
  };

  return {
    kind: 'key-vault',
    async readAll() {
      const secrets = new Map<WritableSecretName, Secret>();
      for (const name of WRITABLE_SECRETS) {
        const found = await fetchOne(name);
        if (found?.value !== undefined && found.properties.enabled !== false) {
          secrets.set(name, new Secret(found.value));
        }
      }
      return secrets;
    },
    async describe() {
      const info = new Map<WritableSecretName, StoredSecretInfo>();
      for (const name of WRITABLE_SECRETS) {
        const found = await fetchOne(name);
        if (found === null) continue;
        info.set(name, {
          updatedAt: found.properties.updatedOn?.getTime() ?? null,
          expiresAt: found.properties.expiresOn?.getTime() ?? null,
        });
      }
      return info;
    },
    async set(name, value) {
      try {
        await client.setSecret(vaultName(name), value.reveal());
      } catch (error) {
        // A secret deleted earlier stays soft-deleted: recover it, then write the new version.
        if (statusOf(error) !== 409) throw writeFailed(name, error);
        try {
          await (await client.beginRecoverDeletedSecret(vaultName(name))).pollUntilDone();
          await client.setSecret(vaultName(name), value.reveal());
        } catch (retryError) {
          throw writeFailed(name, retryError);
        }
      }
    },
    async delete(name) {
      try {
        await (await client.beginDeleteSecret(vaultName(name))).pollUntilDone();
      } catch (error) {
        if (statusOf(error) !== 404) throw writeFailed(name, error);
      }
    },
  };
}

function writeFailed(name: WritableSecretName, cause: unknown): AppError {
  return new AppError('storage.unavailable', `Key Vault refused to store ${name}`, { cause });
}

function statusOf(error: unknown): number | null {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    return typeof error.statusCode === 'number' ? error.statusCode : null;
  }
  return null;
}
