import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ensureLocalCa } from '../../dev/exchange-sim/local-ca.ts';
import { trustLocalCa } from '../../dev/exchange-sim/trust.ts';

/**
 * Poses as Application Insights' ingestion endpoint (`POST /v2.1/track`, HTTPS, as the exporter
 * insists) on a free port, and keeps every envelope the real exporter sends. Its address goes
 * into the connection string's IngestionEndpoint. It also refuses proxy CONNECTs, so a test can
 * point HTTPS_PROXY at it and be sure the SDK's side channels (its settings service) stay local.
 */
export interface Envelope {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly data?: { readonly baseType?: string; readonly baseData?: Record<string, unknown> };
}

export interface IngestionCollector {
  readonly url: string;
  readonly port: number;
  readonly envelopes: Envelope[];
  /** The CA that signed its certificate, for NODE_EXTRA_CA_CERTS of a child process. */
  readonly caPath: string;
  connectionString(): string;
  close(): Promise<void>;
}

export async function startIngestionCollector(): Promise<IngestionCollector> {
  // A CA of its own: test files run in parallel, and two of them creating one directory's CA at
  // once could pair one's CA with the other's server certificate.
  const caDir = mkdtempSync(join(tmpdir(), 'ingestion-ca-'));
  const ca = await ensureLocalCa(caDir);
  trustLocalCa(ca.caPem);
  const envelopes: Envelope[] = [];
  const server: Server = createServer({ cert: ca.certPem, key: ca.keyPem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      let received = 0;
      if (request.method === 'POST' && request.url?.startsWith('/v2.1/track')) {
        const items: unknown = JSON.parse(body.toString('utf8'));
        for (const item of Array.isArray(items) ? items : [items]) envelopes.push(item as Envelope);
        received = Array.isArray(items) ? items.length : 1;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ itemsReceived: received, itemsAccepted: received, errors: [] }));
    });
  });
  server.on('connect', (_request, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `https://127.0.0.1:${port}/`;
  return {
    url,
    port,
    envelopes,
    caPath: ca.caPath,
    connectionString: () =>
      `InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=${url};LiveEndpoint=${url}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(caDir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** The metric name(s) of a MetricData envelope. */
export function metricNames(envelope: Envelope): string[] {
  const metrics = envelope.data?.baseData?.metrics;
  return Array.isArray(metrics)
    ? metrics.map((m: unknown) =>
        typeof m === 'object' && m !== null && 'name' in m && typeof m.name === 'string' ? m.name : '',
      )
    : [];
}
