import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ROLES, type Entra } from './entra.ts';
import { type SimResponse, send } from './http.ts';

/**
 * The managed-identity endpoint App Service and Azure Functions give an app: plain HTTP on the
 * host, `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` in the app's environment, api-version
 * 2019-08-01, the secret in `X-IDENTITY-HEADER`. The identity is chosen with `client_id`
 * (or `principal_id`, `mi_res_id`); without one the platform takes the system-assigned identity,
 * and an app that has only user-assigned ones gets 400 "Unable to load the proper Managed
 * Identity." (the body App Service answers, as reported in Azure/azure-sdk-for-net#43691).
 */

export interface ManagedIdentityOptions {
  /** Client ids of the user-assigned identities attached to the app. */
  readonly userAssigned: readonly string[];
  /** The system-assigned identity's client id, or absent when the app has none (our Bicep makes none). */
  readonly systemAssigned?: string;
}

export interface ManagedIdentityEndpoint {
  /** IDENTITY_ENDPOINT. */
  readonly endpoint: string;
  /** IDENTITY_HEADER. */
  readonly header: string;
  /** Token requests answered so far, refused ones included. */
  requests(): number;
  stop(): Promise<void>;
}

const API_VERSION = '2019-08-01';

export async function startManagedIdentityEndpoint(
  entra: Entra,
  options: ManagedIdentityOptions,
): Promise<ManagedIdentityEndpoint> {
  const secret = randomBytes(16).toString('hex');
  const identities = [...options.userAssigned, ...(options.systemAssigned ? [options.systemAssigned] : [])];
  for (const clientId of identities) entra.setRoles(clientId, DEFAULT_ROLES);
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    send(res, answer(entra, options, secret, req.method ?? 'GET', url, req.headers['x-identity-header']));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/msi/token`,
    header: secret,
    requests: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(
  entra: Entra,
  options: ManagedIdentityOptions,
  secret: string,
  method: string,
  url: URL,
  header: string | string[] | undefined,
): SimResponse {
  if (url.pathname !== '/msi/token' || method !== 'GET') return refusal(404, 'Not found.');
  if (header !== secret) return refusal(401, 'The X-IDENTITY-HEADER header is missing or invalid.');
  if (url.searchParams.get('api-version') !== API_VERSION) {
    return refusal(400, `The api-version '${url.searchParams.get('api-version') ?? ''}' is not supported.`);
  }
  const resource = url.searchParams.get('resource');
  if (!resource) return refusal(400, 'The resource parameter is required.');
  const clientId = url.searchParams.get('client_id');
  const other = url.searchParams.get('principal_id') ?? url.searchParams.get('mi_res_id');
  const identity =
    clientId !== null
      ? options.userAssigned.find((id) => id.toLowerCase() === clientId.toLowerCase())
      : other === null
        ? options.systemAssigned
        : undefined;
  if (identity === undefined) return refusal(400, 'Unable to load the proper Managed Identity.');
  const issued = entra.issueToken(identity, resource.replace(/\/$/, ''));
  return {
    status: 200,
    body: {
      access_token: issued.token,
      expires_on: String(issued.expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: identity,
    },
  };
}

function refusal(statusCode: number, message: string): SimResponse {
  return { status: statusCode, body: { statusCode, message, correlationId: randomUUID() } };
}
