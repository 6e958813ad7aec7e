import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One Graph request as the API handlers see it, whether it came on its own or inside a
 * `$batch`: the same handler answers both, as Graph does.
 */
export interface SimRequest {
  readonly method: string;
  /** The path below `/v1.0`, e.g. `/users/ann@contoso.com/calendarView`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The app (client id) whose token authorised the request. */
  readonly appId: string;
  /** The application permissions its token carries (`roles`). */
  readonly roles: ReadonlySet<string>;
}

export interface SimResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** Graph's error body: `{error:{code,message,innerError}}`. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): SimResponse {
  const date = new Date().toISOString().slice(0, 19);
  return {
    status,
    headers,
    body: {
      error: {
        code,
        message,
        innerError: { date, 'request-id': crypto.randomUUID(), 'client-request-id': crypto.randomUUID() },
      },
    },
  };
}

export function json(body: unknown, status = 200): SimResponse {
  return { status, body };
}

const MAX_BODY = 4 * 1024 * 1024;

/** The raw body, or null when it is larger than Graph would take. */
export async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}

export function send(res: ServerResponse, response: SimResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...response.headers };
  if (response.body === undefined) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (typeof response.body === 'string') {
    res.writeHead(response.status, { 'content-type': 'text/plain', ...headers }).end(response.body);
    return;
  }
  res
    .writeHead(response.status, {
      'content-type':
        'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8',
      ...headers,
    })
    .end(JSON.stringify(response.body));
}

export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
