import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import {
  type ExchangeSimulator,
  type ExchangeSimulatorOptions,
  startExchangeSimulator,
} from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { trustLocalCa } from '../../dev/exchange-sim/trust.ts';

export const TENANT_ID = '5f1c7a8e-0000-4000-8000-00000000c0de';
export const CLIENT_ID = 'a0a0a0a0-0000-4000-8000-000000000001';
export const CLIENT_SECRET = 'dev-secret-value';

export async function startSim(options: Partial<ExchangeSimulatorOptions> = {}): Promise<ExchangeSimulator> {
  const sim = await startExchangeSimulator({
    tenantId: TENANT_ID,
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    ...options,
  });
  trustLocalCa(sim.caPem);
  return sim;
}

/** The credential as the Graph adapter builds it from GRAPH_AUTHORITY_HOST & co. */
export function secretCredential(sim: ExchangeSimulator, secret = CLIENT_SECRET): ClientSecretCredential {
  return new ClientSecretCredential(TENANT_ID, CLIENT_ID, secret, {
    authorityHost: sim.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/** The real Graph SDK client, configured only from the simulator's URLs. */
export function graphClient(sim: ExchangeSimulator): Client {
  const scope = `${sim.graphBaseUrl}/.default`;
  return Client.initWithMiddleware({
    baseUrl: sim.graphBaseUrl,
    customHosts: new Set([new URL(sim.graphBaseUrl).hostname]),
    authProvider: new TokenCredentialAuthenticationProvider(secretCredential(sim), { scopes: [scope] }),
  });
}

export async function bearer(sim: ExchangeSimulator): Promise<string> {
  const token = await secretCredential(sim).getToken(`${sim.graphBaseUrl}/.default`);
  return `Bearer ${token.token}`;
}

/** What the app's callback received: one entry per POST. */
export interface Received {
  readonly url: string;
  readonly contentType: string;
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Resolves with the first POST that satisfies `match`, already received or still to come. */
  waitFor(match: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

/**
 * A tiny stand-in for the app's webhook on port 0. `echo` decides whether it answers the
 * validation handshake as SPEC §5 says (200, text/plain, the decoded token); `silent` never
 * answers it.
 */
export async function startReceiver(
  options: { echo?: boolean; status?: number; delayMs?: number; silent?: boolean } = {},
): Promise<Receiver> {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      received.push({
        url: url.toString(),
        contentType: String(req.headers['content-type'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      for (const w of waiters) w();
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        if (options.silent === true) return;
        if (options.echo === false) res.writeHead(200, { 'content-type': 'text/plain' }).end('nope');
        else res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
        return;
      }
      setTimeout(() => res.writeHead(options.status ?? 202).end(), options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitFor: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = received.find(match);
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('nothing matching arrived'));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
