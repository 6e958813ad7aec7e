// Types only: @azure/functions is CommonJS, and Node's ESM loader cannot see its classes as named exports.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Secret } from '../config/secret.ts';
import { readBodyJson } from '../runtime/request-body.ts';
import { handleOverrideRequest, MAX_OVERRIDE_BODY_BYTES, type SetOverrideDeps } from './set-override.ts';

/** What the override route needs: the override use case's parts and the secret PHONE-LiNK signs with. */
export interface OverrideDeps extends SetOverrideDeps {
  readonly webhookSecret: Secret | null;
}

/** SPEC §5 override route: reads the request (bounded) and answers JSON. */
export async function overrideHttp(deps: OverrideDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const answer = await handleOverrideRequest(deps, {
    userId: request.params.id ?? '',
    authorization: request.headers.get('authorization'),
    readBody: () => readBodyJson(request, MAX_OVERRIDE_BODY_BYTES),
  });
  return { status: answer.status, jsonBody: answer.body };
}
