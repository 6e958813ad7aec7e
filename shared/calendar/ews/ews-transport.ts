import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Secret } from '../../config/secret.ts';
import { AppError } from '../../errors.ts';
import {
  authenticateHeader,
  channelBindingsHash,
  negotiateHeader,
  parseChallengeHeader,
  splitAccount,
} from './ntlm.ts';

/**
 * HTTP(S) POSTs to the EWS endpoint, authenticated as the service account with NTLMv2 or Basic.
 * NTLM authenticates a connection, not a request: each lane owns one keep-alive socket, does the
 * three-leg handshake on it once, and sends its later requests on it without credentials; when
 * the server drops the socket (or answers 401 anyway) the lane shakes hands again.
 */

export interface EwsTransportOptions {
  readonly url: URL;
  readonly auth: 'ntlm' | 'basic';
  readonly username: string;
  readonly password: Secret;
  /** Extra trusted CA certificates (PEM), e.g. an on-premises CA; the system's are trusted too. */
  readonly ca?: string | undefined;
  /** Requests in flight at once (one socket each). */
  readonly lanes?: number;
  readonly timeoutMs?: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** A 20 MB answer is far beyond any page we ask for: a bigger one is refused rather than buffered. */
const MAX_ANSWER_BYTES = 20 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

interface Lane {
  readonly agent: http.Agent;
  /** The socket this lane authenticated (NTLM), or null. */
  socket: Socket | null;
}

export class EwsTransport {
  readonly #options: EwsTransportOptions;
  readonly #free: Lane[] = [];
  readonly #waiting: ((lane: Lane) => void)[] = [];

  constructor(options: EwsTransportOptions) {
    this.#options = options;
    const secure = options.url.protocol === 'https:';
    for (let i = 0; i < (options.lanes ?? 4); i += 1) {
      const agentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
      // No TLS session resumption: a resumed session shows no peer certificate, and NTLM's
      // channel bindings are made from it. Lanes are few and long-lived, so this costs little.
      const agent = secure
        ? new https.Agent({
            ...agentOptions,
            maxCachedSessions: 0,
            ...(options.ca === undefined ? {} : { ca: options.ca }),
          })
        : new http.Agent(agentOptions);
      this.#free.push({ agent, socket: null });
    }
  }

  get url(): URL {
    return this.#options.url;
  }

  /** POSTs a SOAP body; answers whatever HTTP status came back except 401, which becomes AppError. */
  async post(body: string, headers: Readonly<Record<string, string>>): Promise<HttpAnswer> {
    const lane = await this.#acquire();
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return this.#options.auth === 'basic'
            ? await this.#postBasic(lane, body, headers)
            : await this.#postNtlm(lane, body, headers);
        } catch (error) {
          // A kept-alive socket the server closed just as we used it: once more on a new one.
          if (attempt > 0 || !isStaleSocket(error)) throw error;
          lane.socket = null;
        }
      }
    } finally {
      this.#release(lane);
    }
  }

  /** Closes the kept-alive sockets (tests, shutdown). */
  close(): void {
    for (const lane of this.#free) lane.agent.destroy();
  }

  async #postBasic(lane: Lane, body: string, headers: Readonly<Record<string, string>>): Promise<HttpAnswer> {
    const token = Buffer.from(`${this.#options.username}:${this.#options.password.reveal()}`).toString(
      'base64',
    );
    const answer = await this.#send(lane, body, { ...headers, authorization: `Basic ${token}` });
    if (answer.status === 401) throw this.#refused('Basic');
    return answer;
  }

  async #postNtlm(lane: Lane, body: string, headers: Readonly<Record<string, string>>): Promise<HttpAnswer> {
    if (lane.socket !== null && !lane.socket.destroyed) {
      const answer = await this.#send(lane, body, headers);
      if (answer.status !== 401) return answer;
    }
    lane.socket = null;
    const first = await this.#send(lane, '', { ...headers, authorization: negotiateHeader() });
    const challenge = first.status === 401 ? ntlmChallenge(first.raw) : null;
    if (challenge === null) {
      if (first.status === 401) throw this.#refused('NTLM (no NTLM challenge offered)');
      throw new AppError('exchange.protocol', `EWS answered HTTP ${first.status} to the NTLM negotiation`);
    }
    const credentials = splitAccount(this.#options.username, this.#options.password.reveal());
    const authorization = authenticateHeader(challenge, credentials, {
      channelBindings: channelBindingsOf(first.socket),
    });
    const answer = await this.#send(lane, body, { ...headers, authorization });
    if (answer.status === 401) throw this.#refused('NTLM');
    lane.socket = answer.socket;
    return answer;
  }

  #send(
    lane: Lane,
    body: string,
    headers: Readonly<Record<string, string>>,
  ): Promise<HttpAnswer & { readonly socket: Socket; readonly raw: IncomingMessage }> {
    const url = this.#options.url;
    const request = url.protocol === 'https:' ? https.request : http.request;
    const payload = Buffer.from(body, 'utf8');
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: lane.agent,
          headers: {
            ...headers,
            'content-type': 'text/xml; charset=utf-8',
            'content-length': String(payload.length),
            connection: 'keep-alive',
          },
          timeout: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        },
        (res) => {
          // Taken now: once the answer ends, a kept-alive socket goes back to the agent and off `res`.
          const socket = res.socket;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy(
                new AppError('exchange.protocol', `EWS answered more than ${MAX_ANSWER_BYTES} bytes`),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              socket,
              raw: res,
            }),
          );
          res.on('error', (error) => reject(this.#unreachable(error)));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (error) => reject(this.#unreachable(error)));
      req.end(payload);
    });
  }

  #refused(scheme: string): AppError {
    return new AppError(
      'exchange.unauthorized',
      `EWS refused the service account ${this.#options.username} (${scheme} authentication failed)`,
    );
  }

  #unreachable(error: unknown): AppError {
    if (error instanceof AppError) return error;
    const code =
      typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
        ? error.code
        : error instanceof Error
          ? error.message
          : 'error';
    return new AppError('exchange.unreachable', `EWS at ${this.#options.url.host} is unreachable (${code})`, {
      cause: error,
    });
  }

  #acquire(): Promise<Lane> {
    const lane = this.#free.pop();
    if (lane !== undefined) return Promise.resolve(lane);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(lane: Lane): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next(lane);
    else this.#free.push(lane);
  }
}

/**
 * Over TLS the NTLM answer is bound to the server's certificate, which Exchange's Extended
 * Protection (on by default since Exchange 2019 CU14) requires; servers without it ignore it.
 */
function channelBindingsOf(socket: Socket): Buffer | null {
  if (!(socket instanceof TLSSocket)) return null;
  const certificate = socket.getPeerCertificate();
  return certificate.raw === undefined ? null : channelBindingsHash(certificate.raw);
}

const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

function isStaleSocket(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== 'exchange.unreachable') return false;
  const cause: unknown = error.cause;
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return false;
  return typeof cause.code === 'string' && STALE_SOCKET.has(cause.code);
}

function ntlmChallenge(response: IncomingMessage): ReturnType<typeof parseChallengeHeader> {
  for (const value of response.headersDistinct['www-authenticate'] ?? []) {
    const challenge = parseChallengeHeader(value);
    if (challenge !== null) return challenge;
  }
  return null;
}
