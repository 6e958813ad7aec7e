import {
  type AccessToken,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { Settings } from '../../config/settings.ts';
import { AppError } from '../../errors.ts';

/** Hosts where Entra ID's instance discovery works; elsewhere (sovereign test hosts) it is switched off. */
const KNOWN_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.microsoftonline.de',
]);

/** The SDK's retry honours 429/503/504 Retry-After; Graph throttles in bursts, so allow more than its default 3. */
const RETRY_DELAY_SECONDS = 1;
const MAX_RETRIES = 8;

export interface GraphConnection {
  readonly client: Client;
  readonly credential: TokenCredential;
  /** `https://graph.microsoft.com` form, no trailing slash. */
  readonly baseUrl: string;
  readonly scope: string;
  readonly tenantId: string | null;
  /** Who holds the permissions: the app registration (secret or certificate) or the managed identity. */
  readonly credentialKind: 'app registration' | 'managed identity';
}

/**
 * Client secret, else certificate, else managed identity (SPEC §7). The managed identity is the
 * user-assigned one named by `AZURE_CLIENT_ID` (else `GRAPH_CLIENT_ID`): ManagedIdentityCredential
 * reads no environment variable itself, and without a client id it asks for a system-assigned
 * identity, which the deployment does not have.
 */
export function createGraphCredential(
  graph: Settings['graph'],
  managedIdentityClientId: string | null,
): TokenCredential {
  const authorityHost = graph.authorityHost.href.replace(/\/$/, '');
  const options = {
    authorityHost,
    disableInstanceDiscovery: !KNOWN_AUTHORITIES.has(graph.authorityHost.hostname.toLowerCase()),
  };
  if (graph.clientSecret !== null || graph.clientCertificatePath !== null) {
    if (graph.tenantId === null || graph.clientId === null) {
      throw new AppError(
        'config.invalid',
        'GRAPH_TENANT_ID and GRAPH_CLIENT_ID are needed with a client secret or certificate',
      );
    }
    if (graph.clientSecret !== null) {
      return new ClientSecretCredential(graph.tenantId, graph.clientId, graph.clientSecret.reveal(), options);
    }
    if (graph.clientCertificatePath !== null) {
      return new ClientCertificateCredential(
        graph.tenantId,
        graph.clientId,
        { certificatePath: graph.clientCertificatePath },
        options,
      );
    }
  }
  const clientId = managedIdentityClientId ?? graph.clientId;
  return clientId === null
    ? new ManagedIdentityCredential({ authorityHost })
    : new ManagedIdentityCredential({ clientId, authorityHost });
}

/**
 * Concurrent token requests for the same scopes share one: the credential caches a token only
 * once it has one, so the parallel jobs of a cold instance would each fetch their own.
 */
export function sharingTokenRequests(credential: TokenCredential): TokenCredential {
  const pending = new Map<string, Promise<AccessToken | null>>();
  return {
    getToken(scopes, options) {
      // A claims challenge asks for a token of its own.
      if (options?.claims !== undefined) return credential.getToken(scopes, options);
      const key = [scopes].flat().join(' ');
      let request = pending.get(key);
      if (request === undefined) {
        request = credential.getToken(scopes, options).finally(() => pending.delete(key));
        pending.set(key, request);
      }
      return request;
    },
  };
}

export function createGraphConnection(
  graph: Settings['graph'],
  managedIdentityClientId: string | null,
): GraphConnection {
  const baseUrl = graph.baseUrl.href.replace(/\/+$/, '');
  const scope = `${graph.baseUrl.origin}/.default`;
  const credential = sharingTokenRequests(createGraphCredential(graph, managedIdentityClientId));
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
  // The default chain, with our retry options; customHosts lets the token reach a non-Microsoft host (tests).
  const auth = new AuthenticationHandler(authProvider);
  const retry = new RetryHandler(new RetryHandlerOptions(RETRY_DELAY_SECONDS, MAX_RETRIES));
  const telemetry = new TelemetryHandler();
  auth.setNext(retry);
  retry.setNext(telemetry);
  telemetry.setNext(new HTTPMessageHandler());
  const client = Client.initWithMiddleware({
    middleware: auth,
    baseUrl,
    defaultVersion: 'v1.0',
    customHosts: new Set([graph.baseUrl.hostname]),
  });
  const credentialKind =
    graph.clientSecret !== null || graph.clientCertificatePath !== null
      ? 'app registration'
      : 'managed identity';
  return { client, credential, baseUrl, scope, tenantId: graph.tenantId, credentialKind };
}
