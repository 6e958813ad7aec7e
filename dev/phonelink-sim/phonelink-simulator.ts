import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { presenceWindowPage } from './window-page.ts';
import { presenceWireBody } from './wire.ts';

/**
 * A PHONE-LiNK server as far as SPEC §4 goes: the user directory (paged with nextLink) and the
 * presence PUT (bearer key, 409 for a sequence not above the last accepted, 404 for an unknown
 * user). It also serves the PC Client presence window at `/`, live over server-sent events,
 * where a user can set an override the way the real client does: by calling the service.
 */
export interface SimUser {
  readonly id: string;
  readonly name: string;
  readonly email?: string | null;
  readonly calendarIntegration: boolean;
}

export interface ReceivedPush {
  readonly userId: string;
  readonly body: PresenceWire;
  /** Epoch ms at which the request arrived. */
  readonly at: number;
}

export type PresenceWire = z.infer<typeof presenceWireBody>;

export type SimFault =
  | { readonly status: 429 | 503; readonly retryAfter?: string }
  | { readonly status: 400 | 401 | 403 | 500 | 502 };

export interface OverrideTarget {
  /** Base URL of the service; the sim calls `<url>/api/phonelink/users/{id}/override`. */
  readonly url: string;
  readonly secret: string;
}

export interface PhonelinkSimulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly apiKey: string;
  readonly users: readonly SimUser[];
  readonly pageSize?: number;
  readonly overrideTarget?: OverrideTarget;
}

export interface PhonelinkSimulator {
  readonly url: string;
  /** Every accepted push, in arrival order. */
  readonly pushes: readonly ReceivedPush[];
  /** Every presence request, whatever the answer (for 409/404/fault assertions). */
  readonly requests: readonly { readonly userId: string; readonly status: number; readonly at: number }[];
  presenceOf(userId: string): PresenceWire | null;
  /** Drops every API connection for `ms` (a network outage). */
  setDown(ms: number): void;
  /** Answers every API request with this fault until cleared with null (or `times` requests). */
  setFault(fault: SimFault | null, times?: number): void;
  /** Every API answer waits this long first (a slow server). */
  setLatency(ms: number): void;
  /**
   * Holds a batch at a known point: of the presence pushes `hold.matching` picks, `hold.after`
   * more are taken, and later ones wait unanswered until released (null). A waiting push whose
   * caller hangs up (a killed host) is dropped untaken.
   */
  holdPushes(hold: PushHold | null): void;
  /** Pushes waiting under holdPushes now. */
  readonly heldPushes: number;
  /** Where the presence window sends overrides (the service may start after the simulator). */
  setOverrideTarget(target: OverrideTarget | null): void;
  setUsers(users: readonly SimUser[]): void;
  removeUser(userId: string): void;
  stop(): Promise<void>;
}

export interface PushHold {
  readonly after: number;
  readonly matching: (push: { readonly userId: string; readonly body: PresenceWire }) => boolean;
}

const overrideBody = z.object({ availability: z.enum(['Available', 'Meeting', 'OutOfOffice']).nullable() });

interface ManualState {
  readonly availability: string | null;
  readonly until: string | null;
  readonly at: number;
  readonly error: string | null;
}

export async function startPhonelinkSimulator(
  options: PhonelinkSimulatorOptions,
): Promise<PhonelinkSimulator> {
  let users = [...options.users];
  const pageSize = options.pageSize ?? 100;
  const pushes: ReceivedPush[] = [];
  const requests: { userId: string; status: number; at: number }[] = [];
  const accepted = new Map<string, PresenceWire>();
  const manual = new Map<string, ManualState>();
  const listeners = new Set<ServerResponse>();
  let downUntil = 0;
  let latencyMs = 0;
  let overrideTarget = options.overrideTarget ?? null;
  let fault: SimFault | null = null;
  let faultTimes = Number.POSITIVE_INFINITY;
  let hold: (PushHold & { taken: number; released: Promise<void>; release: () => void }) | null = null;
  let held = 0;
  let baseUrl = '';

  const snapshot = () => ({
    now: Date.now(),
    down: Date.now() < downUntil,
    fault: fault?.status ?? null,
    users: users.map((u) => ({
      id: u.id,
      name: u.name,
      email: u.email ?? null,
      calendarIntegration: u.calendarIntegration,
      presence: accepted.get(u.id) ?? null,
      manual: manual.get(u.id) ?? null,
    })),
  });
  const broadcast = () => {
    // Nobody watching (tests, benches): no snapshot of every user on every push.
    if (listeners.size === 0) return;
    const data = `data: ${JSON.stringify(snapshot())}\n\n`;
    for (const listener of listeners) listener.write(data);
  };

  function authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${options.apiKey}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Returns true when a fault answered the request. */
  function injectFault(res: ServerResponse): boolean {
    if (fault === null) return false;
    const current = fault;
    faultTimes -= 1;
    if (faultTimes <= 0) fault = null;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if ('retryAfter' in current && current.retryAfter !== undefined)
      headers['retry-after'] = current.retryAfter;
    res.writeHead(current.status, headers).end(JSON.stringify({ error: `simulated ${current.status}` }));
    return true;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const presenceMatch = /^\/api\/v1\/users\/([^/]+)\/presence$/.exec(url.pathname);
    const userId = presenceMatch?.[1] === undefined ? null : decodeURIComponent(presenceMatch[1]);
    const record = (status: number) => {
      if (userId !== null) requests.push({ userId, status, at: Date.now() });
    };
    if (Date.now() < downUntil) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (!authorized(req)) {
      record(401);
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    if (fault !== null) {
      record(fault.status);
      injectFault(res);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/users') {
      const page = Math.max(0, Number(url.searchParams.get('page') ?? '0') || 0);
      const slice = users.slice(page * pageSize, (page + 1) * pageSize);
      const more = (page + 1) * pageSize < users.length;
      json(res, 200, {
        users: slice.map((u) => ({
          id: u.id,
          name: u.name,
          ...(u.email === undefined ? {} : { email: u.email }),
          calendarIntegration: u.calendarIntegration,
        })),
        nextLink: more ? `${baseUrl}/api/v1/users?page=${page + 1}` : null,
      });
      return;
    }
    if (req.method === 'PUT' && userId !== null) {
      const parsed = presenceWireBody.safeParse(await readJson(req));
      if (!parsed.success) {
        record(400);
        json(res, 400, { error: z.prettifyError(parsed.error) });
        return;
      }
      const holding = hold?.matching({ userId, body: parsed.data }) === true ? hold : null;
      if (holding !== null && holding.taken >= holding.after) {
        held += 1;
        const hungUp = new Promise<boolean>((resolve) => res.once('close', () => resolve(true)));
        const gone = await Promise.race([hungUp, holding.released.then(() => res.destroyed)]);
        held -= 1;
        if (gone) {
          record(0);
          return;
        }
      }
      if (!users.some((u) => u.id === userId)) {
        record(404);
        json(res, 404, { error: 'no such user' });
        return;
      }
      const last = accepted.get(userId);
      if (last !== undefined && parsed.data.sequence <= last.sequence) {
        record(409);
        json(res, 409, { error: `sequence ${parsed.data.sequence} not above ${last.sequence}` });
        return;
      }
      record(204);
      // Counted when taken (not on arrival): a refused push leaves the batch where it was.
      if (holding !== null) holding.taken += 1;
      accepted.set(userId, parsed.data);
      manual.delete(userId);
      pushes.push({ userId, body: parsed.data, at: Date.now() });
      res.writeHead(204).end();
      broadcast();
      return;
    }
    json(res, 404, { error: 'no such route' });
  }

  /** The presence window's "set my availability": what the PC client does, then what the service answers. */
  async function handleOverride(req: IncomingMessage, res: ServerResponse, userId: string): Promise<void> {
    const parsed = overrideBody.safeParse(await readJson(req));
    if (!parsed.success) {
      json(res, 400, { error: z.prettifyError(parsed.error) });
      return;
    }
    if (overrideTarget === null) {
      json(res, 503, { error: 'no service to tell (overrideTarget not set)' });
      return;
    }
    const target = new URL(
      `api/phonelink/users/${encodeURIComponent(userId)}/override`,
      overrideTarget.url.endsWith('/') ? overrideTarget.url : `${overrideTarget.url}/`,
    );
    let state: ManualState;
    try {
      const answer = await fetch(target, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${overrideTarget.secret}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ availability: parsed.data.availability }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await answer.text();
      const body = z.object({ until: z.string().nullable() }).safeParse(safeJson(text));
      state = answer.ok
        ? {
            availability: parsed.data.availability,
            until: body.success ? body.data.until : null,
            at: Date.now(),
            error: null,
          }
        : {
            availability: parsed.data.availability,
            until: null,
            at: Date.now(),
            error: `${answer.status} ${text}`,
          };
    } catch (cause) {
      state = { availability: parsed.data.availability, until: null, at: Date.now(), error: String(cause) };
    }
    manual.set(userId, state);
    json(res, state.error === null ? 200 : 502, state);
    broadcast();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const overrideMatch = /^\/ui\/users\/([^/]+)\/override$/.exec(url.pathname);
    let work: Promise<void>;
    if (url.pathname.startsWith('/api/')) {
      work = handleApi(req, res, url);
    } else if (req.method === 'POST' && overrideMatch?.[1] !== undefined) {
      work = handleOverride(req, res, decodeURIComponent(overrideMatch[1]));
    } else if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify(snapshot())}\n\n`);
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
      return;
    } else if (req.method === 'GET' && url.pathname === '/state') {
      json(res, 200, snapshot());
      return;
    } else if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(presenceWindowPage);
      return;
    } else {
      json(res, 404, { error: 'not found' });
      return;
    }
    work.catch((cause: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(cause) });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  // Keep the page's clock and "down" badge honest without a push.
  const ticker = setInterval(broadcast, 1000);
  ticker.unref();

  return {
    url: baseUrl,
    pushes,
    requests,
    presenceOf: (userId) => accepted.get(userId) ?? null,
    setDown(ms) {
      downUntil = Date.now() + ms;
      broadcast();
    },
    setFault(next, times) {
      fault = next;
      faultTimes = times ?? Number.POSITIVE_INFINITY;
      broadcast();
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    holdPushes(next) {
      hold?.release();
      if (next === null) {
        hold = null;
        return;
      }
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      hold = { ...next, taken: 0, released, release };
    },
    get heldPushes() {
      return held;
    },
    setOverrideTarget(target) {
      overrideTarget = target;
    },
    setUsers(next) {
      users = [...next];
      broadcast();
    },
    removeUser(userId) {
      users = users.filter((u) => u.id !== userId);
      broadcast();
    },
    async stop() {
      clearInterval(ticker);
      for (const listener of listeners) listener.end();
      listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > 64 * 1024) return null;
    chunks.push(buffer);
  }
  return safeJson(Buffer.concat(chunks).toString('utf8'));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
