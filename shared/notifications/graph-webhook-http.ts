import { problemOf, type RequestWithBody } from '../runtime/request-body.ts';

/** The parts of an HTTP request the webhooks read (an @azure/functions HttpRequest has them). */
export interface WebhookRequest extends RequestWithBody {
  readonly query: URLSearchParams;
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

/** A refusal in the one shape every route answers with (`{error, message}`, see request-body.ts). */
export function refuse(status: 400 | 413 | 503, message: string): WebhookAnswer {
  const code = { 400: 'input.invalid', 413: 'input.too_large', 503: 'storage.unavailable' }[status];
  return refused({ status, code, message });
}

export function refused(refusal: {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}): WebhookAnswer {
  return { status: refusal.status, headers: JSON_TYPE, body: JSON.stringify(problemOf(refusal)) };
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
