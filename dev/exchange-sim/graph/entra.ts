import {
  constants,
  createHash,
  generateKeyPair,
  type KeyObject,
  randomUUID,
  sign,
  timingSafeEqual,
  verify,
  X509Certificate,
} from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { SimResponse } from './http.ts';

/**
 * The Entra ID (Azure AD v2.0) endpoints MSAL uses for the client-credentials flow: OIDC
 * discovery, instance discovery, the token endpoint (client secret or certificate-signed
 * client assertion), and the signing keys. Answers and errors have Entra's shapes, so MSAL
 * and @azure/identity react to them as they would to the real service.
 */

export interface SimClient {
  readonly clientId: string;
  readonly clientSecret?: string;
  /** PEM of the app registration's certificate: client assertions must be signed with its key. */
  readonly certificatePem?: string;
  /** The Graph application permissions granted (the token's `roles`); all the service uses by default. */
  readonly roles?: readonly string[];
}

export interface EntraOptions {
  readonly tenantId: string;
  readonly clients: readonly SimClient[];
  readonly tokenLifetimeSeconds?: number;
  readonly now: () => number;
  /** Roles granted by app role assignments (the simulated service principals), added to the configured ones. */
  readonly assignedRoles?: (appId: string) => readonly string[];
}

export type TokenCheck =
  | { readonly ok: true; readonly appId: string; readonly roles: ReadonlySet<string> }
  | { readonly ok: false; readonly response: SimResponse };

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** What the service needs: calendars, mailbox settings, and the directory read that finds a user by address. */
export const DEFAULT_ROLES: readonly string[] = ['Calendars.Read', 'MailboxSettings.Read', 'User.Read.All'];
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const generate = promisify(generateKeyPair);

const Jose = z.object({
  alg: z.string(),
  kid: z.string().optional(),
  x5t: z.string().optional(),
  'x5t#S256': z.string().optional(),
});
const AssertionClaims = z.object({
  aud: z.string(),
  iss: z.string(),
  sub: z.string(),
  exp: z.number(),
  nbf: z.number().optional(),
});
const AccessClaims = z.object({
  aud: z.string(),
  tid: z.string(),
  appid: z.string(),
  exp: z.number(),
  roles: z.array(z.string()).default([]),
});

interface Registered {
  secret: string | null;
  readonly certificate: { readonly key: KeyObject; readonly sha1: string; readonly sha256: string } | null;
}

export class Entra {
  readonly #options: EntraOptions;
  readonly #clients = new Map<string, Registered>();
  /** Granted application permissions by app (client) id, app registrations and managed identities alike. */
  readonly #roles = new Map<string, readonly string[]>();
  readonly #kid = randomUUID().replaceAll('-', '');
  #keys: { privateKey: KeyObject; publicKey: KeyObject } | null = null;

  constructor(options: EntraOptions) {
    this.#options = options;
    for (const client of options.clients) this.register(client);
  }

  async init(): Promise<void> {
    this.#keys = await generate('rsa', { modulusLength: 2048 });
  }

  register(client: SimClient): void {
    const cert = client.certificatePem ? new X509Certificate(client.certificatePem) : null;
    this.setRoles(client.clientId, client.roles ?? DEFAULT_ROLES);
    this.#clients.set(client.clientId.toLowerCase(), {
      secret: client.clientSecret ?? null,
      certificate: cert
        ? {
            key: cert.publicKey,
            sha1: createHash('sha1').update(cert.raw).digest('base64url'),
            sha256: createHash('sha256').update(cert.raw).digest('base64url'),
          }
        : null,
    });
  }

  /** Rotates (or removes, with null) an app's secret: tokens requested with the old one fail. */
  setClientSecret(clientId: string, secret: string | null): void {
    const client = this.#clients.get(clientId.toLowerCase());
    if (!client) throw new Error(`no client ${clientId}`);
    client.secret = secret;
  }

  /**
   * The application permissions an admin has consented to for an app or managed identity: its
   * next token carries them in `roles` (a token already issued keeps the roles it has).
   */
  setRoles(clientId: string, roles: readonly string[]): void {
    this.#roles.set(clientId.toLowerCase(), [...roles]);
  }

  /** An access token for an app or managed identity, as the token endpoints issue it, and when it expires. */
  issueToken(appId: string, resource: string): { readonly token: string; readonly expiresOn: number } {
    const lifetime = this.tokenLifetimeSeconds;
    return {
      token: this.#accessToken(appId, resource, lifetime),
      expiresOn: Math.floor(this.#options.now() / 1000) + lifetime,
    };
  }

  get tokenLifetimeSeconds(): number {
    return this.#options.tokenLifetimeSeconds ?? 3599;
  }

  /** Answers an Entra route, or returns null when `path` is not one. */
  handle(
    origin: string,
    method: string,
    path: string,
    query: URLSearchParams,
    body: Buffer,
  ): SimResponse | null {
    if (method === 'GET' && path === '/common/discovery/instance')
      return this.#instanceDiscovery(origin, query);
    const match =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys)$/.exec(
        path,
      );
    if (!match?.[1] || !match[2]) return null;
    const tenant = match[1];
    if (tenant.toLowerCase() !== this.#options.tenantId.toLowerCase()) {
      return entraError(
        origin,
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (match[2].startsWith('v2.0') && method === 'GET') return this.#openIdConfiguration(origin);
    if (match[2].startsWith('discovery') && method === 'GET') return this.#keysDocument();
    if (match[2].startsWith('oauth2') && method === 'POST') return this.#token(origin, body);
    return entraError(origin, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
  }

  /** Checks a Graph request's `Authorization` header. */
  checkBearer(authorization: string | undefined): TokenCheck {
    const fail = (message: string): TokenCheck => ({
      ok: false,
      response: {
        status: 401,
        headers: {
          'www-authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
        },
        body: { error: { code: 'InvalidAuthenticationToken', message } },
      },
    });
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return fail('Access token is empty.');
    const parts = token.split('.');
    const [header, payload, signature] = parts;
    if (parts.length !== 3 || !header || !payload || !signature || !this.#keys) {
      return fail('IDX14100: JWT is not well formed, there are no dots (.).');
    }
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      this.#keys.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    const claims = valid ? AccessClaims.safeParse(decodeSegment(payload)) : null;
    if (!claims?.success) return fail('Access token validation failure.');
    if (claims.data.tid !== this.#options.tenantId)
      return fail('Access token validation failure. Invalid audience.');
    if (claims.data.exp * 1000 <= this.#options.now())
      return fail('Lifetime validation failed, the token is expired.');
    return { ok: true, appId: claims.data.appid, roles: new Set(claims.data.roles) };
  }

  #instanceDiscovery(origin: string, query: URLSearchParams): SimResponse {
    const authorize = query.get('authorization_endpoint') ?? '';
    const tenant = /\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(authorize)?.[1] ?? this.#options.tenantId;
    const host = new URL(origin).host;
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  #openIdConfiguration(origin: string): SimResponse {
    const t = this.#options.tenantId;
    return {
      status: 200,
      body: {
        token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${origin}/${t}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${origin}/oidc/userinfo`,
        authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${origin}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
        kerberos_endpoint: `${origin}/${t}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: new URL(origin).host,
        cloud_graph_host_name: new URL(origin).host,
        msgraph_host: new URL(origin).host,
        rbac_url: origin,
      },
    };
  }

  #keysDocument(): SimResponse {
    const jwk = this.#keys?.publicKey.export({ format: 'jwk' }) ?? {};
    return { status: 200, body: { keys: [{ kty: 'RSA', use: 'sig', kid: this.#kid, n: jwk.n, e: jwk.e }] } };
  }

  #token(origin: string, raw: Buffer): SimResponse {
    const form = new URLSearchParams(raw.toString('utf8'));
    const t = this.#options.tenantId;
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials') {
      return entraError(
        origin,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant ?? ''}'.`,
      );
    }
    const clientId = form.get('client_id');
    if (!clientId) {
      return entraError(
        origin,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    }
    const client = this.#clients.get(clientId.toLowerCase());
    if (!client) {
      return entraError(
        origin,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${t}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const scope = form.get('scope') ?? '';
    const resource = scope
      .split(' ')
      .find((s) => s.endsWith('/.default'))
      ?.slice(0, -'/.default'.length);
    if (!resource) {
      return entraError(
        origin,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (client.secret === null || !sameText(secret, client.secret)) {
        return entraError(
          origin,
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
    } else if (assertion !== null && form.get('client_assertion_type') === JWT_BEARER) {
      const problem = this.#assertionProblem(origin, clientId, client, assertion);
      if (problem) return entraError(origin, 401, 'invalid_client', problem.code, problem.message);
    } else {
      return entraError(
        origin,
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const lifetime = this.tokenLifetimeSeconds;
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: this.#accessToken(clientId, resource, lifetime),
      },
    };
  }

  #assertionProblem(
    origin: string,
    clientId: string,
    client: Registered,
    assertion: string,
  ): { code: number; message: string } | null {
    const [header, payload, signature] = assertion.split('.');
    const jose = header ? Jose.safeParse(decodeSegment(header)) : null;
    const claims = payload ? AssertionClaims.safeParse(decodeSegment(payload)) : null;
    if (!jose?.success || !claims?.success || !signature || !payload || !header) {
      return { code: 50027, message: 'JWT token is invalid or malformed.' };
    }
    const cert = client.certificate;
    const thumbprint = jose.data['x5t#S256'] ?? jose.data.x5t;
    const known = cert && (thumbprint === cert.sha256 || thumbprint === cert.sha1);
    if (!cert || !known) {
      return {
        code: 700027,
        message: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint ?? ''}'] Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.`,
      };
    }
    const data = Buffer.from(`${header}.${payload}`);
    const sig = Buffer.from(signature, 'base64url');
    const ok =
      jose.data.alg === 'PS256'
        ? verify(
            'sha256',
            data,
            { key: cert.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
            sig,
          )
        : jose.data.alg === 'RS256' && verify('sha256', data, cert.key, sig);
    if (!ok) return { code: 700027, message: 'Client assertion failed signature validation.' };
    if (claims.data.iss !== clientId || claims.data.sub !== clientId) {
      return {
        code: 700021,
        message: "Client assertion application identifier doesn't match 'client_id' parameter.",
      };
    }
    if (claims.data.aud !== `${origin}/${this.#options.tenantId}/oauth2/v2.0/token`) {
      return {
        code: 700212,
        message: `No matching federated identity record found for presented assertion audience '${claims.data.aud}'.`,
      };
    }
    if (claims.data.exp * 1000 < this.#options.now()) {
      return { code: 700024, message: 'Client assertion is not within its valid time range.' };
    }
    return null;
  }

  #accessToken(clientId: string, resource: string, lifetime: number): string {
    if (!this.#keys) throw new Error('Entra not initialised');
    const now = Math.floor(this.#options.now() / 1000);
    const t = this.#options.tenantId;
    const roles = [
      ...new Set([
        ...(this.#roles.get(clientId.toLowerCase()) ?? []),
        ...(this.#options.assignedRoles?.(clientId) ?? []),
      ]),
    ];
    const header = segment({ typ: 'JWT', alg: 'RS256', kid: this.#kid });
    const payload = segment({
      aud: resource,
      iss: `https://sts.windows.net/${t}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      aio: randomUUID(),
      app_displayname: 'PHONE-LiNK Calendar Presence',
      appid: clientId,
      appidacr: '1',
      idp: `https://sts.windows.net/${t}/`,
      idtyp: 'app',
      oid: uuidFrom(`sp:${clientId}`),
      // Entra leaves the claim out when nothing is granted.
      ...(roles.length > 0 ? { roles } : {}),
      sub: uuidFrom(`sp:${clientId}`),
      tid: t,
      uti: randomUUID(),
      ver: '1.0',
    });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.#keys.privateKey).toString(
      'base64url',
    );
    return `${header}.${payload}.${signature}`;
  }
}

function entraError(
  origin: string,
  status: number,
  error: string,
  code: number,
  description: string,
): SimResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = `${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${origin}/error?code=${code}`,
    },
  };
}

function segment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeSegment(text: string): unknown {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return value;
  } catch {
    return null;
  }
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** A stable GUID derived from a name (the service principal's object id). */
export function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
