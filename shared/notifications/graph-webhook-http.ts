import { z } from 'zod';

/** The parts of an HTTP request the webhook reads (an @azure/functions HttpRequest has them). */
export interface WebhookRequest {
  readonly query: URLSearchParams;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/** Assignable to @azure/functions HttpResponseInit. */
export interface WebhookAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Graph sends at most a few hundred notices per POST; far more is not Graph. */
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_VALIDATION_TOKEN = 4_096;

// Exactly as SPEC §5 and Graph's documentation name it (the token is ASCII).
const TEXT = { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' };
const JSON_TYPE = { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' };

export function refuse(status: 400 | 413 | 503, reason: string): WebhookAnswer {
  return { status, headers: JSON_TYPE, body: JSON.stringify({ error: reason }) };
}

export const accepted: WebhookAnswer = { status: 202, headers: {} };

/**
 * The handshake: Graph POSTs `?validationToken=…` when a subscription is created and expects
 * the decoded token back as text/plain within 10 s. Null when the request is not a handshake.
 */
export function handshake(request: WebhookRequest): WebhookAnswer | null {
  const token = request.query.get('validationToken');
  if (token === null) return null;
  if (token.length > MAX_VALIDATION_TOKEN) return refuse(400, 'validationToken is too long');
  return { status: 200, headers: TEXT, body: token };
}

/** The body as JSON, refusing oversized (413) and malformed (400) bodies without reading more than the limit. */
export async function readJsonBody(
  request: WebhookRequest,
): Promise<{ ok: true; value: unknown } | { ok: false; answer: WebhookAnswer }> {
  const text = await readTextBody(request, MAX_BODY_BYTES);
  if (!text.ok) return text;
  try {
    return { ok: true, value: JSON.parse(text.value) };
  } catch {
    return { ok: false, answer: refuse(400, 'body is not JSON') };
  }
}

/** The body as UTF-8 text of at most `maxBytes` (413 beyond, checked before reading when declared); 400 when empty. */
export async function readTextBody(
  request: WebhookRequest,
  maxBytes: number,
): Promise<{ ok: true; value: string } | { ok: false; answer: WebhookAnswer }> {
  const declared = z.coerce
    .number()
    .int()
    .nonnegative()
    .safeParse(request.headers.get('content-length') ?? undefined);
  if (declared.success && declared.data > maxBytes) {
    return { ok: false, answer: refuse(413, `body larger than ${maxBytes} bytes`) };
  }
  if (request.body === null) return { ok: false, answer: refuse(400, 'empty body') };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, answer: refuse(413, `body larger than ${maxBytes} bytes`) };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, answer: refuse(400, 'body could not be read') };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return { ok: false, answer: refuse(400, 'body is not UTF-8') };
  }
  if (text.trim() === '') return { ok: false, answer: refuse(400, 'empty body') };
  return { ok: true, value: text };
}
