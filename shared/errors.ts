/**
 * Our errors carry a stable code (for logs, metrics and tests) and their cause. `safeMessage`
 * is what may be shown to an administrator or written to the log: it never holds a secret.
 */
export type ErrorCode =
  | 'config.invalid'
  | 'input.invalid'
  | 'input.too_large'
  | 'exchange.unreachable'
  | 'exchange.unauthorized'
  | 'exchange.throttled'
  | 'exchange.mailbox_not_found'
  /** Exchange refused one mailbox (Graph 403): a permission is missing for it, not an outage. */
  | 'exchange.forbidden'
  | 'exchange.protocol'
  | 'phonelink.unreachable'
  | 'phonelink.unauthorized'
  | 'phonelink.protocol'
  | 'storage.unavailable'
  | 'storage.conflict'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Seconds the caller should wait before trying again, when the far side said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    safeMessage: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(safeMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A value for expected failures: parsing input, answers we can name. Throws are for bugs and outages. */
export type Result<T, E = AppError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E>(error: E): Result<never, E> => ({ ok: false, error });
