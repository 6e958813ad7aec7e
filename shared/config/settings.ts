import type { Policy } from '../presence/model.ts';
import type { Secret } from './secret.ts';

/**
 * SPEC §7, parsed once at start-up (see load-settings.ts) into a frozen object, built from the
 * settings table (setting-table.ts: each row's `of` says where its value is kept here).
 * Secrets are `Secret` so that no log line or JSON can carry them.
 */
export interface Settings {
  /** 'hybrid': both Graph and EWS configured, each mailbox read on the side that holds it. */
  readonly calendarSource: 'graph' | 'ews' | 'hybrid';
  readonly integrationEnabled: boolean;
  readonly callbackUrl: URL | null;
  readonly graph: {
    readonly tenantId: string | null;
    readonly clientId: string | null;
    readonly clientSecret: Secret | null;
    readonly clientCertificatePath: string | null;
    readonly baseUrl: URL;
    readonly authorityHost: URL;
  };
  readonly ews: {
    /** `EWS_URL`, or `https://EWS_SERVER/ews/exchange.asmx`. */
    readonly url: URL | null;
    readonly username: string | null;
    readonly password: Secret | null;
    readonly auth: 'ntlm' | 'basic';
  };
  readonly phonelink: {
    readonly url: URL | null;
    readonly apiKey: Secret | null;
    readonly webhookSecret: Secret | null;
  };
  readonly scanSchedule: string;
  readonly scanWindowDays: number;
  readonly policy: Policy;
  readonly storage: StorageSettings;
  readonly adminApiKey: Secret | null;
  readonly appInsightsConnectionString: Secret | null;
  /**
   * `AZURE_CLIENT_ID`: the client id of the app's user-assigned managed identity (the deployment
   * has no system-assigned one). Every managed-identity credential names it: without it, the
   * identity endpoint is asked for a system-assigned identity and refuses.
   */
  readonly managedIdentityClientId: string | null;
  readonly port: number;
}

export type StorageSettings =
  | { readonly kind: 'connectionString'; readonly connectionString: Secret }
  /** Identity-based connection (`AzureWebJobsStorage__accountName`), used in Azure. */
  | {
      readonly kind: 'identity';
      readonly accountName: string;
      readonly queueServiceUri: URL;
      readonly tableServiceUri: URL;
      readonly clientId: string | null;
    };
