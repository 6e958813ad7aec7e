import { AppError } from '../errors.ts';

/** SDK failures (RestError) become AppError: 409/412 are conflicts, everything else an outage. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    return typeof error.statusCode === 'number' ? error.statusCode : undefined;
  }
  return undefined;
}

export function storageError(operation: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = statusOf(error);
  const code = status === 409 || status === 412 ? 'storage.conflict' : 'storage.unavailable';
  return new AppError(code, `Storage: ${operation} failed${status === undefined ? '' : ` (${status})`}`, {
    cause: error,
  });
}
