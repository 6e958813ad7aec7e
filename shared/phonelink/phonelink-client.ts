import { z } from 'zod';
import type { Secret } from '../config/secret.ts';
import type { Settings } from '../config/settings.ts';
import { AppError } from '../errors.ts';
import { parseRetryAfter } from '../runtime/retry.ts';
import type { PresenceBody } from '../storage/stores.ts';

/** A PHONE-LiNK user as the directory lists it (SPEC §4). */
export interface PhonelinkUser {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly calendarIntegration: boolean;
}

/** Answers we can name are values; credentials and outages are thrown as AppError. */
export type PushOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'superseded' }
  | { readonly kind: 'gone' };

/** The directory as listed: the users, and a description of each entry that is no user (skipped, not fatal). */
export interface PhonelinkDirectory {
  readonly users: readonly PhonelinkUser[];
  readonly unreadable: readonly string[];
}

export interface PhonelinkClient {
  listUsers(): Promise<PhonelinkDirectory>;
  putPresence(userId: string, body: PresenceBody, sequence: number): Promise<PushOutcome>;
}

export interface PhonelinkClientOptions {
  readonly baseUrl: URL;
  readonly apiKey: Secret;
  /** Per request; a hung server is an outage, not a stuck worker. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

const userSchema = z.object({
  // Some PBX exports write numeric ids; the wire id is a string either way.
  id: z.union([z.string().min(1), z.number().int().transform(String)]),
  name: z.string().nullish(),
  email: z.string().nullish(),
  calendarIntegration: z.boolean().nullish(),
});

// Each entry is read on its own: one the service cannot read is skipped, not the whole directory.
const usersPageSchema = z.object({
  users: z.array(z.unknown()),
  nextLink: z.string().nullish(),
});

/** Guards against a server that links pages in a circle. */
const MAX_PAGES = 10_000;

export function createPhonelinkClient(options: PhonelinkClientOptions): PhonelinkClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = options.baseUrl.href.endsWith('/') ? options.baseUrl : new URL(`${options.baseUrl.href}/`);

  async function call(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, {
        ...init,
        headers: {
          ...init.headers,
          authorization: `Bearer ${options.apiKey.reveal()}`,
          accept: 'application/json',
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new AppError(
        'phonelink.unreachable',
        `PHONE-LiNK ${url.origin} unreachable: ${describe(cause)}`,
        {
          cause,
        },
      );
    }
  }

  function failOn(response: Response, what: string): never {
    if (response.status === 401 || response.status === 403) {
      throw new AppError(
        'phonelink.unauthorized',
        `PHONE-LiNK refused the API key (${response.status}) ${what}`,
      );
    }
    if (response.status === 429 || response.status >= 500) {
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      throw new AppError(
        'phonelink.unreachable',
        `PHONE-LiNK answered ${response.status} ${what}`,
        retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
      );
    }
    throw new AppError('phonelink.protocol', `PHONE-LiNK answered an unexpected ${response.status} ${what}`);
  }

  return {
    async listUsers() {
      const users: PhonelinkUser[] = [];
      const unreadable: string[] = [];
      const seen = new Set<string>();
      let next: URL | null = new URL('api/v1/users', base);
      while (next !== null) {
        if (seen.has(next.href) || seen.size >= MAX_PAGES) {
          throw new AppError('phonelink.protocol', 'PHONE-LiNK user pages link in a circle');
        }
        seen.add(next.href);
        const response = await call(next, { method: 'GET' });
        if (response.status !== 200) {
          await response.body?.cancel();
          failOn(response, 'to the user list');
        }
        const page = usersPageSchema.safeParse(await readJson(response));
        if (!page.success) {
          throw new AppError(
            'phonelink.protocol',
            `PHONE-LiNK user list is malformed: ${z.prettifyError(page.error)}`,
          );
        }
        for (const entry of page.data.users) {
          const u = userSchema.safeParse(entry);
          if (!u.success) {
            unreadable.push(
              `an entry of the user list is malformed (${u.error.issues[0]?.path.join('.')}: ${u.error.issues[0]?.message})`,
            );
            continue;
          }
          users.push({
            id: u.data.id,
            name: u.data.name ?? '',
            email: u.data.email ?? null,
            calendarIntegration: u.data.calendarIntegration ?? false,
          });
        }
        next = page.data.nextLink ? resolveNextLink(page.data.nextLink, base) : null;
      }
      return { users, unreadable };
    },

    async putPresence(userId, body, sequence) {
      const url = new URL(`api/v1/users/${encodeURIComponent(userId)}/presence`, base);
      const response = await call(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, sequence }),
      });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 204) return { kind: 'accepted' };
      if (response.status === 409) return { kind: 'superseded' };
      if (response.status === 404) return { kind: 'gone' };
      return failOn(response, `to the presence of user ${userId}`);
    },
  };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (cause) {
    throw new AppError('phonelink.protocol', 'PHONE-LiNK user list is not JSON', { cause });
  }
}

/** The API key goes only to the configured server: a next page elsewhere is a protocol error. */
function resolveNextLink(link: string, base: URL): URL {
  let url: URL;
  try {
    url = new URL(link, base);
  } catch (cause) {
    throw new AppError('phonelink.protocol', 'PHONE-LiNK nextLink is not a URL', { cause });
  }
  if (url.origin !== base.origin) {
    throw new AppError('phonelink.protocol', `PHONE-LiNK nextLink leaves the server (${url.origin})`);
  }
  return url;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
    return `${cause.name === 'TimeoutError' ? 'timed out' : cause.message}${inner}`;
  }
  return String(cause);
}

/** The client for the configured server; a missing PHONELINK_URL or PHONELINK_API_KEY is a configuration error. */
export function phonelinkClientFromSettings(settings: Settings): PhonelinkClient {
  const { url, apiKey } = settings.phonelink;
  const missing = [
    url === null ? 'PHONELINK_URL' : null,
    apiKey === null ? 'PHONELINK_API_KEY' : null,
  ].filter((name) => name !== null);
  if (url === null || apiKey === null) {
    throw new AppError('config.invalid', `PHONE-LiNK is not configured: ${missing.join(' and ')} not set`);
  }
  return createPhonelinkClient({ baseUrl: url, apiKey });
}
