import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpRequest, InvocationContext } from '../../dev/host/azure-functions.ts';
import { adminSettingsHttp as settingsHttp } from '../../functions/admin-settings-http.ts';
import { readJsonBody } from '../../shared/admin/admin-http.ts';
import { setServices } from '../../shared/app/services.ts';
import { MAX_NOTIFICATION_BYTES } from '../../shared/notifications/ews-send-notification.ts';
import { MAX_BODY_BYTES } from '../../shared/notifications/graph-webhook-http.ts';
import { overrideHttp } from '../../shared/presence-sync/override-http.ts';
import { MAX_OVERRIDE_BODY_BYTES } from '../../shared/presence-sync/set-override.ts';
import { ADMIN_KEY, startWebhookWorld, WEBHOOK_SECRET, type WebhookWorld } from '../support/webhook-world.ts';

const CHUNK = 16 * 1024;
const ADMIN_LIMIT = 64 * 1024;

/** A body of `total` bytes handed out chunk by chunk on demand, counting what was taken. */
function meteredBody(total: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) return controller.close();
        const size = Math.min(CHUNK, total - pulled);
        pulled += size;
        controller.enqueue(new Uint8Array(size).fill(0x20));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulled: () => pulled };
}

/** The `error` code of a `{error, message}` body; fails on any other shape. */
const problemCode = (value: unknown): unknown => {
  assert.ok(typeof value === 'object' && value !== null, JSON.stringify(value));
  assert.deepEqual(Object.keys(value).sort(), ['error', 'message']);
  return 'error' in value ? value.error : undefined;
};

describe('§5 one request-body reader and one error shape for every route', () => {
  let world: WebhookWorld;
  before(async () => {
    world = await startWebhookWorld();
    setServices(world.services);
  });
  after(async () => {
    setServices(null);
    await world.stop();
  });

  it('refuses an oversized admin body with 413 once the limit is passed, without reading the rest', async () => {
    const { body, pulled } = meteredBody(10 * 1024 * 1024);
    const answer = await readJsonBody({ headers: new Headers(), body });
    assert.equal(answer.ok, false);
    assert.equal(answer.ok ? 0 : answer.error.status, 413);
    assert.ok(pulled() <= ADMIN_LIMIT + CHUNK, `read ${pulled()} bytes`);
  });

  it('keeps a refusal short even when the parser’s reason quotes much of the body', async () => {
    const deep = '<a>'.repeat(20_000);
    const answer = await world.ews.notifications(webhook(new TextEncoder().encode(deep)));
    assert.equal(answer.status, 400);
    assert.ok((answer.body ?? '').length < 1_000, `${(answer.body ?? '').length} characters`);
  });

  /** Each route's answer to a body, as status and parsed JSON body. */
  const routes: Record<string, { limit: number; answer: (body: Uint8Array) => Promise<[number, unknown]> }> =
    {
      'POST /api/notifications/graph': {
        limit: MAX_BODY_BYTES,
        answer: async (body) => {
          const a = await world.graph.notifications(webhook(body));
          return [a.status, JSON.parse(a.body ?? 'null')];
        },
      },
      'POST /api/notifications/graph/lifecycle': {
        limit: MAX_BODY_BYTES,
        answer: async (body) => {
          const a = await world.graph.lifecycle(webhook(body));
          return [a.status, JSON.parse(a.body ?? 'null')];
        },
      },
      'POST /api/notifications/ews': {
        limit: MAX_NOTIFICATION_BYTES,
        answer: async (body) => {
          const a = await world.ews.notifications(webhook(body));
          return [a.status, JSON.parse(a.body ?? 'null')];
        },
      },
      'POST /api/phonelink/users/{id}/override': {
        limit: MAX_OVERRIDE_BODY_BYTES,
        answer: async (body) => {
          const a = await overrideHttp(
            world.override,
            http('phonelink/users/201/override', WEBHOOK_SECRET, body),
          );
          return [a.status ?? 200, a.jsonBody];
        },
      },
      'PUT /api/settings': {
        limit: ADMIN_LIMIT,
        answer: async (body) => {
          const a = await settingsHttp.handler(http('settings', ADMIN_KEY, body, 'PUT'), context());
          return [a.status ?? 200, 'jsonBody' in a ? a.jsonBody : null];
        },
      },
    };

  for (const [route, { limit, answer }] of Object.entries(routes)) {
    it(`${route}: 413 input.too_large and 400 input.invalid, as {error, message}`, async () => {
      const [tooLarge, large] = await answer(new Uint8Array(limit + 1).fill(0x20));
      assert.equal(tooLarge, 413);
      assert.equal(problemCode(large), 'input.too_large');
      const [notUtf8, invalid] = await answer(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
      assert.equal(notUtf8, 400);
      assert.equal(problemCode(invalid), 'input.invalid');
    });
  }
});

function webhook(body: Uint8Array) {
  return { query: new URLSearchParams(), headers: new Headers(), body: new Blob([body]).stream() };
}

function http(path: string, secret: string, body: Uint8Array, method = 'POST') {
  return new HttpRequest({
    method,
    url: `http://localhost/api/${path}`,
    headers: { authorization: `Bearer ${secret}` },
    params: { id: '201' },
    body: { bytes: body },
  });
}

function context() {
  return new InvocationContext({
    invocationId: 'request-body',
    functionName: 'test',
    logHandler: () => undefined,
  });
}
