import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { channelBindingsHash } from '../../../shared/calendar/ews/ntlm.ts';
import { parseXml } from '../../../shared/xml/safe-xml.ts';
import { xmlText } from '../../../shared/xml/xml-schemas.ts';
import type { Mailboxes, SimUser } from '../mailboxes.ts';
import { servedOn } from '../organization-split.ts';
import {
  findItem,
  getServerTimeZones,
  getUserConfiguration,
  getUserOofSettings,
  pushSubscriptionRequest,
} from './ews-sim-operations.ts';
import { EwsPush, type PushDelivery, type PushOptions } from './ews-sim-push.ts';
import {
  answerEnvelope,
  errorMessage,
  faultEnvelope,
  MESSAGES_AND_TYPES,
  parseVersion,
  type SimVersion,
} from './ews-sim-soap.ts';
import { createChallenge, ntlmMessageType, type SimAccount, verifyAuthenticate } from './ntlm-server.ts';

/**
 * The EWS front-end of the simulated Exchange (`POST /ews/exchange.asmx`) over the shared
 * mailboxes: NTLMv2 and/or Basic authentication of the service account, the
 * ApplicationImpersonation check, ServerVersionInfo on every answer, the operations the
 * service uses, push notifications, and ErrorServerBusy on demand.
 */

export interface EwsServiceAccount extends SimAccount {
  /** Holds the ApplicationImpersonation role. */
  readonly impersonation: boolean;
}

export interface EwsSimOptions {
  readonly accounts: readonly EwsServiceAccount[];
  /** Which schemes IIS offers (default both, NTLM first as Exchange does). */
  readonly auth?: readonly ('ntlm' | 'basic')[];
  /** "15.2.1544.4" (Exchange 2019 CU13) by default. */
  readonly version?: string;
  readonly push?: PushOptions;
  /**
   * Extended Protection for Authentication (on by default since Exchange 2019 CU14): over TLS an
   * NTLM answer must carry the channel bindings of this server's certificate. Default true.
   */
  readonly extendedProtection?: boolean;
}

/** What each mailbox operation carried: the tests check impersonation and anchoring from it. */
export interface EwsRequestRecord {
  readonly operation: string;
  readonly account: string;
  readonly scheme: 'ntlm' | 'basic';
  readonly impersonated: string | null;
  readonly anchorMailbox: string | null;
  readonly answer: 'ok' | 'fault';
}

const MAX_REQUEST_BYTES = 1024 * 1024;
const MAILBOX_OPERATIONS = new Set([
  'FindItem',
  'GetUserOofSettingsRequest',
  'GetUserConfiguration',
  'Subscribe',
]);

const envelope = z.object({
  Envelope: z.object({
    Header: z
      .union([
        z.object({
          ExchangeImpersonation: z
            .object({
              ConnectingSID: z.object({
                PrincipalName: xmlText.optional(),
                PrimarySmtpAddress: xmlText.optional(),
                SmtpAddress: xmlText.optional(),
              }),
            })
            .optional(),
        }),
        z.literal(''),
      ])
      .optional(),
    Body: z.record(z.string(), z.unknown()),
  }),
});

export class EwsSim {
  readonly #mailboxes: Mailboxes;
  readonly #accounts: readonly EwsServiceAccount[];
  readonly #schemes: readonly ('ntlm' | 'basic')[];
  readonly #version: SimVersion;
  readonly #push: EwsPush;
  readonly #extendedProtection: boolean;
  /** NTLM authenticates connections: the challenge sent, then the account, per socket. */
  readonly #connections = new WeakMap<
    Socket,
    { challenge: Buffer | null; account: EwsServiceAccount | null }
  >();
  readonly #requests: EwsRequestRecord[] = [];
  #busy: { count: number; backOffMs: number } = { count: 0, backOffMs: 0 };
  #handshakes = 0;
  readonly #neverInOwa = new Set<string>();
  readonly #sockets = new Set<Socket>();

  constructor(mailboxes: Mailboxes, options: EwsSimOptions) {
    this.#mailboxes = mailboxes;
    this.#accounts = options.accounts;
    this.#schemes = options.auth ?? ['ntlm', 'basic'];
    this.#version = parseVersion(options.version ?? '15.2.1544.4');
    this.#push = new EwsPush(mailboxes, options.push);
    this.#extendedProtection = options.extendedProtection ?? true;
  }

  get requests(): readonly EwsRequestRecord[] {
    return this.#requests;
  }

  /** NTLM negotiations so far: a client that keeps its connections needs one per connection. */
  get ntlmHandshakes(): number {
    return this.#handshakes;
  }

  get pushes(): readonly PushDelivery[] {
    return this.#push.deliveries;
  }

  subscriptionIds(): readonly string[] {
    return this.#push.subscriptionIds();
  }

  /**
   * The mailbox was never opened in Outlook on the web: it has no OWA.UserOptions, so
   * GetUserConfiguration answers ErrorItemNotFound (Exchange creates them on the first OWA visit).
   */
  neverOpenedInOwa(address: string): void {
    this.#neverInOwa.add(this.#mailboxes.user(address).id);
  }

  /** The next `count` mailbox operations answer ErrorServerBusy with this BackOffMilliseconds. */
  injectServerBusy(count: number, backOffMs: number): void {
    this.#busy = { count, backOffMs };
  }

  close(): void {
    this.#push.close();
  }

  /** Closes every client connection, as an IIS recycle or a load balancer's idle timeout does. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Serves one request to /ews/exchange.asmx. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#sockets.has(req.socket)) {
      this.#sockets.add(req.socket);
      req.socket.once('close', () => this.#sockets.delete(req.socket));
    }
    const raw = await readBody(req);
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'EWS takes POST');
    if (raw === null) return send(res, 413, 'text/plain', 'request too large');
    const auth = this.#authenticate(req, res);
    if (auth === null) return;
    const tree = parseXml(raw.toString('utf8'), MAX_REQUEST_BYTES);
    const parsed = tree.ok ? envelope.safeParse(tree.value) : null;
    if (!parsed?.success) {
      return this.#soap(
        res,
        500,
        faultEnvelope(this.#version, 'ErrorSchemaValidation', 'The request failed schema validation.'),
      );
    }
    const [operation, request] = Object.entries(parsed.data.Envelope.Body)[0] ?? ['', undefined];
    const header = parsed.data.Envelope.Header === '' ? undefined : parsed.data.Envelope.Header;
    const sid = header?.ExchangeImpersonation?.ConnectingSID;
    const connecting = sid === undefined ? null : connectingSid(sid);
    const impersonated = connecting?.address ?? null;
    const anchorHeader = req.headers['x-anchormailbox'];
    const record = (answer: 'ok' | 'fault') =>
      this.#requests.push({
        operation,
        account: auth.account.username,
        scheme: auth.scheme,
        impersonated,
        anchorMailbox: typeof anchorHeader === 'string' ? anchorHeader : null,
        answer,
      });
    const fault = (code: string, message: string, backOffMs: number | null = null) => {
      record('fault');
      this.#soap(res, 500, faultEnvelope(this.#version, code, message, backOffMs));
    };
    // ConnectingSIDType is an xs:choice: exactly one of its elements.
    if (sid !== undefined && connecting === null) {
      return fault('ErrorSchemaValidation', 'The request failed schema validation: ConnectingSID.');
    }
    if (operation === 'GetServerTimeZones') {
      record('ok');
      return this.#soap(res, 200, answerEnvelope(this.#version, getServerTimeZones()));
    }
    if (!MAILBOX_OPERATIONS.has(operation))
      return fault('ErrorInvalidRequest', `${operation} is not simulated.`);
    if (this.#busy.count > 0) {
      this.#busy.count -= 1;
      return fault(
        'ErrorServerBusy',
        'The server cannot service this request right now. Try again later.',
        this.#busy.backOffMs,
      );
    }
    let user: SimUser | undefined;
    if (connecting === null) {
      // Without impersonation the call is about the service account's own mailbox, which has none.
      user = this.#mailboxes.findUser(auth.account.username.replace(/^.*\\/, ''));
    } else {
      if (!auth.account.impersonation) {
        return fault(
          'ErrorImpersonateUserDenied',
          'The account does not have permission to impersonate the requested user.',
        );
      }
      user = this.#impersonated(connecting);
    }
    if (user === undefined || !user.hasMailbox || !servedOn(this.#mailboxes, user, 'exchangeServer')) {
      return fault('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.');
    }
    record('ok');
    this.#soap(res, 200, answerEnvelope(this.#version, this.#operate(operation, user, request)));
  }

  /**
   * The mailbox a ConnectingSID names, as Exchange resolves it: PrimarySmtpAddress only by the
   * primary address, SmtpAddress by any SMTP proxy address, PrincipalName by the UPN.
   */
  #impersonated(sid: ConnectingSid): SimUser | undefined {
    const user = this.#mailboxes.findUser(sid.address);
    const address = sid.address.toLowerCase();
    switch (sid.kind) {
      case 'PrimarySmtpAddress':
        return user?.mail === address ? user : undefined;
      case 'SmtpAddress':
        return user !== undefined && (user.mail === address || user.aliases.includes(address))
          ? user
          : undefined;
      case 'PrincipalName':
        return user?.userPrincipalName.toLowerCase() === address ? user : undefined;
    }
  }

  #operate(operation: string, user: SimUser, request: unknown): string {
    switch (operation) {
      case 'FindItem':
        return findItem(this.#mailboxes, user, request);
      case 'GetUserOofSettingsRequest':
        return getUserOofSettings(this.#mailboxes, user, request);
      case 'GetUserConfiguration':
        return getUserConfiguration(this.#mailboxes, user, request, !this.#neverInOwa.has(user.id));
      default:
        return this.#subscribe(user, request);
    }
  }

  #subscribe(user: SimUser, request: unknown): string {
    const open = `<m:SubscribeResponse ${MESSAGES_AND_TYPES}><m:ResponseMessages>`;
    const close = '</m:ResponseMessages></m:SubscribeResponse>';
    const parsed = pushSubscriptionRequest.safeParse(request);
    if (!parsed.success) {
      return `${open}${errorMessage('Subscribe', 'ErrorInvalidRequest', 'Only push subscriptions are simulated.')}${close}`;
    }
    const push = parsed.data.PushSubscriptionRequest;
    const created = this.#push.subscribe(user, {
      url: push.URL,
      eventTypes: push.EventTypes.EventType,
      statusFrequencyMinutes: push.StatusFrequency,
      watermark: push.Watermark ?? null,
    });
    if (created === null) {
      return `${open}${errorMessage('Subscribe', 'ErrorInvalidWatermark', 'The watermark used for creating this subscription was not recognized.')}${close}`;
    }
    return (
      `${open}<m:SubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>` +
      `<m:SubscriptionId>${created.id}</m:SubscriptionId><m:Watermark>${created.watermark}</m:Watermark>` +
      `</m:SubscribeResponseMessage>${close}`
    );
  }

  /** The authenticated account, or null once a 401 has been sent. */
  #authenticate(
    req: IncomingMessage,
    res: ServerResponse,
  ): { readonly account: EwsServiceAccount; readonly scheme: 'ntlm' | 'basic' } | null {
    const socket = req.socket;
    const state = this.#connections.get(socket) ?? { challenge: null, account: null };
    this.#connections.set(socket, state);
    const header = req.headers.authorization ?? '';
    if (header === '' && state.account !== null) return { account: state.account, scheme: 'ntlm' };
    if (header.startsWith('Basic ') && this.#schemes.includes('basic')) {
      const [name, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      const password = rest.join(':');
      const account = this.#accounts.find(
        (a) => a.username.toLowerCase() === (name ?? '').toLowerCase() && a.password === password,
      );
      if (account !== undefined) return { account, scheme: 'basic' };
    }
    const ntlm = this.#schemes.includes('ntlm') ? ntlmMessageType(header) : null;
    if (ntlm?.type === 1) {
      this.#handshakes += 1;
      const challenge = createChallenge(Date.now());
      state.challenge = challenge.serverChallenge;
      state.account = null;
      res.writeHead(401, { 'www-authenticate': challenge.header, 'content-length': '0' }).end();
      return null;
    }
    if (ntlm?.type === 3 && state.challenge !== null) {
      const verified = verifyAuthenticate(
        ntlm.message,
        state.challenge,
        this.#accounts,
        this.#bindings(socket),
      );
      state.challenge = null;
      if (verified.ok) {
        state.account = verified.account;
        return { account: verified.account, scheme: 'ntlm' };
      }
    }
    const offers: string[] = [];
    if (this.#schemes.includes('ntlm')) offers.push('Negotiate', 'NTLM');
    if (this.#schemes.includes('basic')) offers.push('Basic realm="exch01.contoso.com"');
    res.setHeader('www-authenticate', offers);
    res.writeHead(401, { 'content-type': 'text/plain', connection: 'close' }).end('401 - Unauthorized');
    return null;
  }

  /** The channel bindings an NTLM answer on `socket` must carry, or null when not checked. */
  #bindings(socket: Socket): Buffer | null {
    if (!this.#extendedProtection || !(socket instanceof TLSSocket)) return null;
    const certificate = socket.getCertificate();
    return certificate !== null && 'raw' in certificate ? channelBindingsHash(certificate.raw) : null;
  }

  #soap(res: ServerResponse, status: number, xml: string): void {
    send(res, status, 'text/xml; charset=utf-8', xml);
  }
}

interface ConnectingSid {
  readonly kind: 'PrincipalName' | 'PrimarySmtpAddress' | 'SmtpAddress';
  readonly address: string;
}

/** The one element of a ConnectingSID, or null when it holds none or several. */
function connectingSid(sid: {
  readonly PrincipalName?: string | undefined;
  readonly PrimarySmtpAddress?: string | undefined;
  readonly SmtpAddress?: string | undefined;
}): ConnectingSid | null {
  const given = (['PrincipalName', 'PrimarySmtpAddress', 'SmtpAddress'] as const).flatMap((kind) => {
    const address = sid[kind];
    return address === undefined ? [] : [{ kind, address }];
  });
  return given.length === 1 ? (given[0] ?? null) : null;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res
    .writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) })
    .end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
