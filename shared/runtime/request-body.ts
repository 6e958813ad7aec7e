import { z } from 'zod';
import { fail, ok, type Result } from '../errors.ts';

/**
 * The one reader of HTTP request bodies (webhooks, override route, admin API): the size is
 * checked as the bytes arrive, so an oversized body is a 413 after at most `maxBytes` read
 * (before any when its Content-Length says so), and every refusal has one shape.
 */

/** The parts of an HTTP request a body reader needs (an @azure/functions HttpRequest has them). */
export interface RequestWithBody {
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/** Why a body was refused; `problemOf` turns it into the JSON every route answers with. */
export interface BodyRefusal {
  readonly status: 400 | 413;
  readonly code: 'input.invalid' | 'input.too_large';
  readonly message: string;
}

/** The JSON body of every 4xx our routes answer: a stable code and a readable reason. */
export interface Problem {
  readonly error: string;
  readonly message: string;
}

/** Longest message an answer carries: a parser's reason may quote much of what was sent. */
const MAX_MESSAGE_LENGTH = 500;

export function problemOf(refusal: { readonly code: string; readonly message: string }): Problem {
  const { code, message } = refusal;
  return {
    error: code,
    message: message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH)}…`,
  };
}

const invalid = (message: string): BodyRefusal => ({ status: 400, code: 'input.invalid', message });
const tooLarge = (maxBytes: number): BodyRefusal => ({
  status: 413,
  code: 'input.too_large',
  message: `The body is larger than ${maxBytes} bytes`,
});

const contentLength = z.coerce.number().int().nonnegative();

/** The body as UTF-8 text of at most `maxBytes`; empty, unreadable or not UTF-8 is a 400. */
export async function readBodyText(
  request: RequestWithBody,
  maxBytes: number,
): Promise<Result<string, BodyRefusal>> {
  const declared = contentLength.safeParse(request.headers.get('content-length') ?? undefined);
  if (declared.success && declared.data > maxBytes) return fail(tooLarge(maxBytes));
  if (request.body === null) return fail(invalid('The body is empty'));
  const chunks: Uint8Array[] = [];
  let size = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = request.body.getReader();
  } catch {
    // Already read (or locked) by someone else: nothing we can read.
    return fail(invalid('The body could not be read'));
  }
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return fail(tooLarge(maxBytes));
      }
      chunks.push(value);
    }
  } catch {
    return fail(invalid('The body could not be read'));
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return fail(invalid('The body is not UTF-8'));
  }
  if (text.trim() === '') return fail(invalid('The body is empty'));
  return ok(text);
}

/** The body parsed as JSON (still `unknown`: the caller's schema decides), as `readBodyText` reads it. */
export async function readBodyJson(
  request: RequestWithBody,
  maxBytes: number,
): Promise<Result<unknown, BodyRefusal>> {
  const text = await readBodyText(request, maxBytes);
  if (!text.ok) return text;
  try {
    return ok(JSON.parse(text.value));
  } catch {
    return fail(invalid('The body is not JSON'));
  }
}
