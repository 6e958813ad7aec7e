// Types only: @azure/functions is CommonJS, and Node's ESM loader cannot see its classes as named exports.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Services } from '../app/services.ts';
import { readBodyJson } from '../runtime/request-body.ts';
import { handleOverrideRequest, MAX_OVERRIDE_BODY_BYTES } from './set-override.ts';

/** SPEC §5 override route: reads the request (bounded) and answers JSON. */
export async function overrideHttp(services: Services, request: HttpRequest): Promise<HttpResponseInit> {
  const answer = await handleOverrideRequest(
    {
      users: services.users,
      calendars: services.calendars,
      presence: services.presence,
      queues: services.queues,
      log: services.log,
      policy: services.settings.policy,
      now: Date.now,
      webhookSecret: services.settings.phonelink.webhookSecret,
    },
    {
      userId: request.params.id ?? '',
      authorization: request.headers.get('authorization'),
      readBody: () => readBodyJson(request, MAX_OVERRIDE_BODY_BYTES),
    },
  );
  return { status: answer.status, jsonBody: answer.body };
}
