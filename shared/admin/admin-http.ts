import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { AppError, fail, type Result } from '../errors.ts';
import { problemOf, type RequestWithBody, readBodyJson } from '../runtime/request-body.ts';
import type { AdminDeps } from './admin-deps.ts';
import { isAdminAuthorized } from './admin-key.ts';

const MAX_BODY_BYTES = 64 * 1024;

/** Headers on every admin answer: never cached (they describe live state), never sniffed or framed. */
export const ADMIN_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

export function json(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { ...ADMIN_HEADERS, 'content-type': 'application/json; charset=utf-8' },
  };
}

/** The one error shape of every route (see request-body.ts), with whatever more a route adds. */
export function problem(status: number, code: string, message: string, extra: object = {}): HttpResponseInit {
  return json(status, { ...problemOf({ code, message }), ...extra });
}

/**
 * An admin route: the key is checked (SPEC §5: 401 otherwise) before anything is read, and
 * failures become a readable 4xx/5xx without internals or secrets.
 */
export function adminHandler(
  services: () => Promise<AdminDeps>,
  handle: (
    request: HttpRequest,
    services: AdminDeps,
    context: InvocationContext,
  ) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    try {
      const resolved = await services();
      if (!isAdminAuthorized(request.headers.get('authorization'), resolved.adminApiKey)) {
        return {
          ...problem(401, 'auth.unauthorized', 'Send Authorization: Bearer <ADMIN_API_KEY>'),
          headers: {
            ...ADMIN_HEADERS,
            'content-type': 'application/json; charset=utf-8',
            'www-authenticate': 'Bearer',
          },
        };
      }
      return await handle(request, resolved, context);
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'internal';
      context.error(`admin ${request.method} ${new URL(request.url).pathname} failed: ${code}`);
      if (error instanceof AppError && code === 'storage.unavailable') {
        return problem(503, code, error.message);
      }
      // e.g. a secret written where no vault is configured: the request cannot be met as things stand.
      if (error instanceof AppError && code === 'config.invalid') return problem(409, code, error.message);
      return problem(500, 'internal', 'The request failed; see the log');
    }
  };
}

/** The JSON body, at most 64 KiB (413 as soon as more arrives); a value (4xx reason) when it is too large or not JSON. */
export async function readJsonBody(request: RequestWithBody): Promise<Result<unknown, HttpResponseInit>> {
  const body = await readBodyJson(request, MAX_BODY_BYTES);
  return body.ok ? body : fail(problem(body.error.status, body.error.code, body.error.message));
}
