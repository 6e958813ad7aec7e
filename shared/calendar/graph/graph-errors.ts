import { AppError, type ErrorCode } from '../../errors.ts';
import { graphErrorBody } from './graph-schemas.ts';

/** The Graph status → our stable code; `subject` names what was asked, e.g. a mailbox. */
export function graphStatusError(
  status: number,
  body: unknown,
  subject: string,
  retryAfterSeconds?: number,
  /** The application permission the request needed, named when Graph refuses it (403). */
  permission?: string,
): AppError {
  const parsed = graphErrorBody.safeParse(body);
  const graphCode = parsed.success ? (parsed.data.error.code ?? '') : '';
  const detail = graphCode === '' ? `HTTP ${status}` : `HTTP ${status} ${graphCode}`;
  if (status === 403) {
    return new AppError(
      'exchange.forbidden',
      `Microsoft Graph answered ${detail} for ${subject}: a permission is missing for this mailbox${permission === undefined ? '' : ` (${permission} with admin consent, and the mailbox within any application access policy or RBAC scope)`}`,
      { cause: body },
    );
  }
  // Graph could not reach our notification URL in time (ValidationError): worth another try, like an outage.
  const code = graphCode === 'ValidationError' ? 'exchange.unreachable' : codeFor(status);
  return new AppError(code, `Microsoft Graph answered ${detail} for ${subject}`, {
    cause: body,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

function codeFor(status: number): ErrorCode {
  if (status === 401) return 'exchange.unauthorized';
  if (status === 404) return 'exchange.mailbox_not_found';
  if (status === 429) return 'exchange.throttled';
  if (status >= 500) return 'exchange.unreachable';
  return 'exchange.protocol';
}

/** Anything the SDK or the network threw → AppError (the cause keeps the original, the message no secret). */
export function toGraphAppError(error: unknown, subject: string): AppError {
  if (error instanceof AppError) return error;
  const status = statusOf(error);
  if (status !== null) return graphStatusError(status, bodyOf(error), subject);
  const name = error instanceof Error ? error.name : 'error';
  if (name === 'CredentialUnavailableError' || name === 'AuthenticationError') {
    return new AppError('exchange.unauthorized', `Could not sign in to Microsoft Graph (${name})`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? (networkCode(error) ?? error.name) : 'error';
  return new AppError('exchange.unreachable', `Microsoft Graph is unreachable for ${subject} (${reason})`, {
    cause: error,
  });
}

function statusOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return null;
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 ? status : null;
}

function bodyOf(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !('body' in error)) return undefined;
  const body = error.body;
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function networkCode(error: Error): string | null {
  const cause = error.cause;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return null;
}
