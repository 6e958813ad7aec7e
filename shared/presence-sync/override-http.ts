// Types only: @azure/functions is CommonJS, and Node's ESM loader cannot see its classes as named exports.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Services } from '../app/services.ts';
import { readTextBody } from '../notifications/graph-webhook-http.ts';
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
      readBody: async () => {
        const read = await readTextBody(request, MAX_OVERRIDE_BODY_BYTES);
        if (read.ok) return read.value;
        // Too large: 413; empty or not UTF-8: not JSON either, so 400.
        return read.answer.status === 413 ? null : '';
      },
    },
  );
  return { status: answer.status, jsonBody: answer.body };
}
