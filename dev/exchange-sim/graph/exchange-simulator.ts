import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalCa } from '../local-ca.ts';
import { Mailboxes } from '../mailboxes.ts';
import { Entra, type SimClient } from './entra.ts';
import { Faults, type RequestKind } from './faults.ts';
import { GraphApi } from './graph-api.ts';
import { graphError, headerRecord, parseJson, readBody, send, sleep } from './http.ts';
import {
  type ManagedIdentityEndpoint,
  type ManagedIdentityOptions,
  startManagedIdentityEndpoint,
} from './managed-identity.ts';
import { type DeliveryRecord, type EndpointHealth, Notifier, type NotifierOptions } from './notifier.ts';
import { ServicePrincipals } from './service-principals.ts';
import { type LifecycleEvent, type SimSubscription, Subscriptions } from './subscriptions.ts';

/**
 * The simulated Exchange Online: Entra ID's token endpoint and Microsoft Graph on one HTTPS
 * port, with a certificate from the local CA. Point GRAPH_BASE_URL and GRAPH_AUTHORITY_HOST
 * at `origin` and trust `caPem`, and the real SDKs talk to it as to Microsoft's cloud.
 * Other front-ends on the same mailboxes (EWS) attach with `mount`.
 */

export interface ExchangeSimulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Where the CA and server certificate are kept and reused; a temporary directory (removed at stop) if absent. */
  readonly dataDir?: string;
  readonly tenantId: string;
  readonly clients: readonly SimClient[];
  /** Share a mailbox model (e.g. with the EWS front-end); a new one otherwise. */
  readonly mailboxes?: Mailboxes;
  readonly latencyMs?: number;
  readonly throttleRatio?: number;
  /** A further ratio of requests and sub-requests answered 503 with Retry-After: 1. */
  readonly unavailableRatio?: number;
  /** Seed of the throttling draws. */
  readonly seed?: number;
  readonly tokenLifetimeSeconds?: number;
  readonly maxSubscriptionMinutes?: number;
  readonly handshakeTimeoutMs?: number;
  readonly notifications?: NotifierOptions;
  readonly capitalizedMailboxSettings?: boolean;
  /** Share of change notifications sent twice, as Graph sometimes does (default 0). */
  readonly duplicateRatio?: number;
  /** The Function App's managed identities: serves App Service's managed-identity endpoint (plain HTTP on loopback). */
  readonly managedIdentity?: ManagedIdentityOptions;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ExchangeSimulator {
  /** `https://127.0.0.1:<port>`: the scheme, host and port of everything below. */
  readonly origin: string;
  /** GRAPH_BASE_URL (the SDK adds `/v1.0`). */
  readonly graphBaseUrl: string;
  /** GRAPH_AUTHORITY_HOST. */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly caPem: string;
  /** NODE_EXTRA_CA_CERTS for child processes. */
  readonly caPath: string;
  readonly mailboxes: Mailboxes;
  /** The directory's service principals and app role assignments (each client has one). */
  readonly servicePrincipals: ServicePrincipals;
  /** HTTP round trips by kind (a `$batch` counts once, as 'batch'); all kinds without an argument. */
  requestCount(kind?: RequestKind): number;
  /** Round trips to Graph itself (all kinds but Entra's token and discovery). */
  graphRequestCount(): number;
  /** Graph operations by kind, `$batch` sub-requests counted one by one. */
  operationCount(kind?: RequestKind): number;
  /** Requests and sub-requests answered 429 or 503 (random throttling, mailbox concurrency, unavailability). */
  throttledCount(): number;
  resetCounters(): void;
  setLatency(ms: number): void;
  setThrottleRatio(ratio: number): void;
  setUnavailableRatio(ratio: number): void;
  setCapitalizedMailboxSettings(on: boolean): void;
  setDuplicateRatio(ratio: number): void;
  /** Rotates an app's secret (null removes it): the app's next token request gets invalid_client. */
  setClientSecret(clientId: string, secret: string | null): void;
  /** The application permissions granted to an app or managed identity, as its next token's `roles`. */
  setRoles(clientId: string, roles: readonly string[]): void;
  /** IDENTITY_ENDPOINT and IDENTITY_HEADER, when the options gave managed identities. */
  readonly managedIdentity: Pick<ManagedIdentityEndpoint, 'endpoint' | 'header' | 'requests'> | null;
  subscriptions(): readonly SimSubscription[];
  sendLifecycle(subscriptionId: string, event: LifecycleEvent): void;
  /** Every POST to the app's callback, with how long it took to answer. */
  deliveries(): readonly DeliveryRecord[];
  onDelivery(listener: (record: DeliveryRecord) => void): () => void;
  /** Whether Graph would now delay or drop notifications to `url` for being slow. */
  endpointHealth(url: string): EndpointHealth;
  /** Notifications given up: after the last retry, or dropped for a slow endpoint. */
  droppedNotifications(): number;
  /** Resolves when no notification is waiting, in flight or due for a retry. */
  notificationsIdle(): Promise<void>;
  /** Serves requests under `prefix` (e.g. '/EWS/') with another front-end on this HTTPS port. */
  mount(prefix: string, handler: RequestHandler): void;
  stop(): Promise<void>;
}

export async function startExchangeSimulator(options: ExchangeSimulatorOptions): Promise<ExchangeSimulator> {
  const ownDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'exchange-sim-')) : null;
  const ca = await ensureLocalCa(options.dataDir ?? ownDir ?? '');
  const mailboxes = options.mailboxes ?? new Mailboxes();
  let origin = '';
  const now = () => mailboxes.now();
  const faults = new Faults({
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(options.throttleRatio === undefined ? {} : { throttleRatio: options.throttleRatio }),
    ...(options.unavailableRatio === undefined ? {} : { unavailableRatio: options.unavailableRatio }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const entra = new Entra({
    tenantId: options.tenantId,
    clients: options.clients,
    now,
    // App roles assigned through Graph (an administrator's consent) are in the next token too.
    assignedRoles: (appId) => servicePrincipals.rolesOf(appId),
    ...(options.tokenLifetimeSeconds === undefined
      ? {}
      : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
  });
  await entra.init();
  const managedIdentity = options.managedIdentity
    ? await startManagedIdentityEndpoint(entra, options.managedIdentity)
    : null;
  const notifier = new Notifier(options.notifications);
  const subscriptions = new Subscriptions({
    mailboxes,
    notifier,
    tenantId: options.tenantId,
    origin: () => origin,
    duplicateRatio: () => duplicateRatio,
    ...(options.maxSubscriptionMinutes === undefined ? {} : { maxMinutes: options.maxSubscriptionMinutes }),
    ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
  });
  let capitalized = options.capitalizedMailboxSettings ?? false;
  let duplicateRatio = options.duplicateRatio ?? 0;
  const api = new GraphApi({
    mailboxes,
    subscriptions,
    faults,
    tenantId: options.tenantId,
    origin: () => origin,
    capitalizedMailboxSettings: () => capitalized,
  });
  const mounts: { prefix: string; handler: RequestHandler }[] = [];
  const servicePrincipals = new ServicePrincipals({ origin: () => origin, now });
  for (const client of options.clients) {
    servicePrincipals.add({
      appId: client.clientId,
      displayName: client.clientId,
      servicePrincipalType: 'Application',
    });
  }
  for (const clientId of options.managedIdentity?.userAssigned ?? []) {
    servicePrincipals.add({
      appId: clientId,
      displayName: clientId,
      servicePrincipalType: 'ManagedIdentity',
    });
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    const mounted = mounts.find((m) => url.pathname.toLowerCase().startsWith(m.prefix));
    if (mounted) {
      mounted.handler(req, res);
      return;
    }
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    if (raw === null) {
      send(res, graphError(413, 'RequestEntityTooLarge', 'The request body is too large.'));
      return;
    }
    const entraAnswer = entra.handle(origin, method, url.pathname, url.searchParams, raw);
    if (entraAnswer) {
      faults.countRoundTrip(url.pathname.endsWith('/token') ? 'token' : 'discovery');
      await sleep(faults.latencyMs);
      send(res, entraAnswer);
      return;
    }
    const version = /^\/(v1\.0|beta)(\/.*)$/.exec(url.pathname);
    if (!version?.[2]) {
      send(
        res,
        url.pathname === '/'
          ? { status: 200, body: describe() }
          : graphError(400, 'BadRequest', 'Invalid version.'),
      );
      return;
    }
    const path = version[2];
    const bearer = entra.checkBearer(req.headers.authorization);
    if (!bearer.ok) {
      send(res, bearer.response);
      return;
    }
    const body = parseJson(raw);
    if (!body.ok) {
      send(
        res,
        graphError(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        ),
      );
      return;
    }
    if (servicePrincipals.handles(path)) {
      const request = { method, path, query: url.searchParams, headers: headerRecord(req), body: body.value };
      send(res, servicePrincipals.handle({ ...request, appId: bearer.appId, roles: bearer.roles }));
      return;
    }
    const route = api.route(path);
    faults.countRoundTrip(route.kind);
    // The mailbox slot is held for the whole round trip, latency included.
    const slot = route.mailbox ? faults.enterMailbox(bearer.appId, route.mailbox) : undefined;
    if (slot && 'refused' in slot) {
      faults.countOperation(route.kind);
      send(res, slot.refused);
      return;
    }
    try {
      await sleep(faults.latencyMs);
      const answer = await api.execute(
        {
          method,
          path,
          query: url.searchParams,
          headers: headerRecord(req),
          body: body.value,
          appId: bearer.appId,
          roles: bearer.roles,
        },
        slot,
      );
      send(res, answer);
    } finally {
      slot?.release();
    }
  };

  const server = https.createServer(
    { cert: ca.certPem, key: ca.keyPem, keepAliveTimeout: 30_000 },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        send(res, graphError(500, 'InternalServerError', `simulator failure: ${String(error)}`));
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `https://127.0.0.1:${port}`;

  const describe = () => ({
    graphBaseUrl: origin,
    authorityHost: origin,
    tenantId: options.tenantId,
    users: mailboxes.users().length,
    subscriptions: subscriptions.all().length,
  });

  return {
    origin,
    graphBaseUrl: origin,
    authorityHost: origin,
    tenantId: options.tenantId,
    caPem: ca.caPem,
    caPath: ca.caPath,
    mailboxes,
    servicePrincipals,
    requestCount: (kind) => faults.roundTrips(kind),
    operationCount: (kind) => faults.operations(kind),
    graphRequestCount: () =>
      faults.roundTrips() - faults.roundTrips('token') - faults.roundTrips('discovery'),
    throttledCount: () => faults.throttledCount(),
    resetCounters: () => faults.resetCounters(),
    setLatency: (ms) => {
      faults.latencyMs = ms;
    },
    setThrottleRatio: (ratio) => {
      faults.throttleRatio = ratio;
    },
    setUnavailableRatio: (ratio) => {
      faults.unavailableRatio = ratio;
    },
    setCapitalizedMailboxSettings: (on) => {
      capitalized = on;
    },
    setDuplicateRatio: (ratio) => {
      duplicateRatio = ratio;
    },
    setClientSecret: (clientId, secret) => entra.setClientSecret(clientId, secret),
    setRoles: (clientId, roles) => entra.setRoles(clientId, roles),
    managedIdentity,
    subscriptions: () => subscriptions.all(),
    sendLifecycle: (id, event) => subscriptions.sendLifecycle(id, event),
    deliveries: () => notifier.deliveries(),
    onDelivery: (listener) => notifier.onDelivery(listener),
    endpointHealth: (url) => notifier.endpointHealth(url),
    droppedNotifications: () => notifier.droppedCount(),
    notificationsIdle: () => notifier.idle(),
    mount: (prefix, handler) => {
      mounts.push({ prefix: prefix.toLowerCase(), handler });
    },
    stop: async () => {
      subscriptions.stop();
      notifier.stop();
      await managedIdentity?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
