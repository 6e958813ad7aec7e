import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.ts';

/**
 * SPEC §5: admin routes need `Authorization: Bearer <ADMIN_API_KEY>`. Both sides are hashed
 * first so the comparison takes the same time whatever the length or content of the guess.
 * No key configured means no admin access at all.
 */
export function isAdminAuthorized(authorization: string | null, adminApiKey: Secret | null): boolean {
  if (adminApiKey === null || adminApiKey.reveal() === '' || authorization === null) return false;
  const match = /^Bearer[ ]+(.+)$/i.exec(authorization.trim());
  const given = match?.[1] ?? '';
  const equal = timingSafeEqual(digest(given), digest(adminApiKey.reveal()));
  return equal && given !== '';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
