import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpFunction } from '../../shared/runtime/define-function.ts';
import { HttpRequest, HttpResponse, InvocationContext } from './azure-functions.ts';
import { type CompiledRoute, compileRoute, matchRoute } from './http-routes.ts';

/** Azure Functions refuses request bodies over 100 MB. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface HttpTriggerServer {
  readonly url: string;
  /** Stops accepting requests, lets those under way finish, then closes. */
  close(): Promise<void>;
}

/**
 * Serves HTTP triggers under `/<routePrefix>/` with the library's own HttpRequest, HttpResponse
 * and InvocationContext, so a handler meets the same objects as in Azure.
 */
export async function startHttpTriggerServer(options: {
  readonly functions: readonly HttpFunction[];
  readonly port: number;
  readonly hostname?: string;
  readonly routePrefix: string;
  readonly log: (line: string) => void;
}): Promise<HttpTriggerServer> {
  const routes = options.functions.map(compileRoute);
  const prefix = options.routePrefix.replace(/^\/+|\/+$/g, '');
  const server = createServer((req, res) => {
    handle(req, res, routes, prefix, options.log).catch((error: unknown) => {
      options.log(`HTTP host error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const hostname = options.hostname ?? '127.0.0.1';
  await listen(server, options.port, hostname);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(hostname)}:${port}`,
    close: () => close(server),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  routes: readonly CompiledRoute[],
  prefix: string,
  log: (line: string) => void,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname.replace(/^\/+/, '');
  const below =
    prefix === ''
      ? path
      : path.toLowerCase().startsWith(`${prefix.toLowerCase()}/`)
        ? path.slice(prefix.length + 1)
        : null;
  const match = below === null ? null : matchRoute(routes, below, method);
  if (match === null) {
    req.resume();
    res.writeHead(404).end();
    return;
  }
  const body = await readBody(req);
  if (body === null) {
    res.writeHead(413).end();
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const request = new HttpRequest({
    method,
    url: url.href,
    headers,
    query,
    params: match.params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: match.fn.name,
    logHandler: (level, ...args) => log(`[${match.fn.name}] ${level}: ${args.map(String).join(' ')}`),
    options: { trigger: { type: 'httpTrigger', name: 'request' } },
  });
  let result: Awaited<ReturnType<HttpFunction['handler']>>;
  try {
    result = await match.fn.handler(request, context);
  } catch (error) {
    log(`[${match.fn.name}] failed: ${error instanceof Error ? error.message : String(error)}`);
    res.writeHead(500).end();
    return;
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
  const responseHeaders: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  const cookies = response.cookies.map(
    (c) =>
      `${c.name}=${c.value}${c.path ? `; Path=${c.path}` : ''}${c.httpOnly ? '; HttpOnly' : ''}${c.secure ? '; Secure' : ''}${c.sameSite ? `; SameSite=${c.sameSite}` : ''}${c.maxAge !== undefined ? `; Max-Age=${c.maxAge}` : ''}`,
  );
  if (cookies.length > 0) responseHeaders['set-cookie'] = cookies;
  const bytes = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, responseHeaders);
  res.end(method === 'HEAD' ? undefined : bytes);
}

/** The whole body, or null when it is over the limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      return null;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections would hold close() open.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}

/** A wildcard address is reached as localhost. */
function urlHost(hostname: string): string {
  if (hostname === '::' || hostname === '0.0.0.0') return 'localhost';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}
