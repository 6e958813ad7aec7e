// Counts the storage operations the functions make: one HTTP request to a queue or table
// endpoint is one storage transaction as Azure bills it (a batch counts once). A pass-through
// proxy in front of each Azurite endpoint, so the count is taken from outside the product.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StorageCounter {
  /** The connection string with queue and table endpoints pointing through the counter. */
  readonly connectionString: string;
  count(): { readonly queue: number; readonly table: number };
  stop(): Promise<void>;
}

export async function countStorage(connectionString: string): Promise<StorageCounter> {
  const counts = { queue: 0, table: 0 };
  const servers: ReturnType<typeof createServer>[] = [];
  let counted = connectionString;
  for (const kind of ['queue', 'table'] as const) {
    const key = kind === 'queue' ? 'QueueEndpoint' : 'TableEndpoint';
    const match = new RegExp(`${key}=([^;]+)`).exec(connectionString);
    if (match?.[1] === undefined) throw new Error(`no ${key} in the connection string`);
    const target = new URL(match[1]);
    const server = createServer((req, res) => {
      counts[kind] += 1;
      const forward = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.once('error', () => res.destroy());
      req.pipe(forward);
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    counted = counted.replace(match[1], `http://127.0.0.1:${port}${target.pathname}`);
  }
  return {
    connectionString: counted,
    count: () => ({ ...counts }),
    stop: () =>
      Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      ).then(() => undefined),
  };
}
