import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import type { StorageSettings } from '../config/settings.ts';

/**
 * Builds the SDK clients for table and queue storage from either connection form of SPEC §7:
 * a connection string (Azurite, or a key-based account) or an identity-based connection
 * (`AzureWebJobsStorage__accountName`; a user-assigned managed identity when `__clientId` is set).
 */
export interface StorageClients {
  table(name: string): TableClient;
  readonly queueService: QueueServiceClient;
}

export function createStorageClients(storage: StorageSettings): StorageClients {
  if (storage.kind === 'connectionString') {
    const connectionString = storage.connectionString.reveal();
    // Azurite speaks plain http; the table SDK refuses that unless told.
    const insecure = /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|Endpoint=http:/i.test(
      connectionString,
    );
    return {
      table: (name) =>
        TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: insecure }),
      queueService: QueueServiceClient.fromConnectionString(connectionString),
    };
  }
  const credential: TokenCredential = new DefaultAzureCredential(
    storage.clientId === null ? {} : { managedIdentityClientId: storage.clientId },
  );
  const tableUrl = storage.tableServiceUri.href.replace(/\/$/, '');
  return {
    table: (name) => new TableClient(tableUrl, name, credential),
    queueService: new QueueServiceClient(storage.queueServiceUri.href, credential),
  };
}
