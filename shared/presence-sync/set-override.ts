import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Secret } from '../config/secret.ts';
import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import { presenceInputOf } from '../presence/decide-presence.ts';
import { toIsoSeconds } from '../presence/instant.ts';
import { AVAILABILITIES, type Availability, type Instant, type Policy } from '../presence/model.ts';
import { overrideEndsAt } from '../presence/override.ts';
import { prepareCalendar } from '../presence/prepare.ts';
import { QUEUES, type WorkQueues } from '../queues/messages.ts';
import type { CalendarStore, PresenceStore, UserStore } from '../storage/stores.ts';
import { freshPresenceRecord } from './presence-input.ts';

export interface SetOverrideDeps {
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly presence: PresenceStore;
  readonly queues: WorkQueues;
  readonly log: AdminLog;
  readonly policy: Policy;
  readonly now: () => Instant;
}

export type SetOverrideOutcome =
  | { readonly kind: 'set'; readonly until: string | null }
  | { readonly kind: 'not-managed' };

const MAX_ROUNDS = 8;

/**
 * SPEC §3 override: the user's choice holds from now until the first presence-relevant event
 * start (`until`, null when none is known); `null` clears it. Stores it and queues the
 * recalculation that pushes it.
 */
export async function setOverride(
  deps: SetOverrideDeps,
  userId: string,
  availability: Availability | null,
): Promise<SetOverrideOutcome> {
  const user = await deps.users.get(userId);
  if (user === null || !user.integrated) return { kind: 'not-managed' };
  const setAt = deps.now();
  const override = availability === null ? null : { availability, setAt };

  let saved = false;
  for (let round = 0; round < MAX_ROUNDS && !saved; round++) {
    const record = (await deps.presence.get(userId)) ?? freshPresenceRecord(userId);
    saved = await deps.presence.save({ ...record, override });
  }
  if (!saved) throw new AppError('storage.conflict', `presence of user ${userId} kept changing`);

  await deps.queues.send(QUEUES.presence, { userId, reason: 'override' });
  let until: Instant | null = null;
  if (override !== null) {
    const calendar = await deps.calendars.get(userId);
    until = overrideEndsAt(prepareCalendar(presenceInputOf(calendar, override, deps.policy)), setAt);
  }
  const untilIso = until === null ? null : toIsoSeconds(until);
  await deps.log.write(
    availability === null
      ? `User ${user.name} (${userId}) cleared their availability in PHONE-LiNK: the calendar decides again`
      : `User ${user.name} (${userId}) set ${availability} in PHONE-LiNK until ${untilIso ?? 'changed'}`,
  );
  return { kind: 'set', until: untilIso };
}

const overrideRequestBody = z.object({ availability: z.enum(AVAILABILITIES).nullable() });

/** Largest override body accepted; the real one is a few dozen bytes. */
export const MAX_OVERRIDE_BODY_BYTES = 4096;

export interface OverrideRequest {
  readonly userId: string;
  readonly authorization: string | null;
  /**
   * Reads the body only once the caller is authorized: its text, or null when it is larger than
   * MAX_OVERRIDE_BODY_BYTES (read no further than that).
   */
  readonly readBody: () => Promise<string | null>;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** SPEC §5 `POST /api/phonelink/users/{id}/override`: webhook secret, body check, then setOverride. */
export async function handleOverrideRequest(
  deps: SetOverrideDeps & { readonly webhookSecret: Secret | null },
  request: OverrideRequest,
): Promise<HttpAnswer> {
  if (deps.webhookSecret === null || !bearerMatches(request.authorization, deps.webhookSecret)) {
    return { status: 401, body: { error: 'unauthorized' } };
  }
  const body = await request.readBody();
  if (body === null) return { status: 413, body: { error: 'body too large' } };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { status: 400, body: { error: 'body is not JSON' } };
  }
  const parsed = overrideRequestBody.safeParse(json);
  if (!parsed.success) return { status: 400, body: { error: z.prettifyError(parsed.error) } };
  const outcome = await setOverride(deps, request.userId, parsed.data.availability);
  if (outcome.kind === 'not-managed') return { status: 404, body: { error: 'user not managed' } };
  return { status: 200, body: { until: outcome.until } };
}

/** Both sides hashed first: the comparison takes the same time whatever the guess's length or content. */
function bearerMatches(authorization: string | null, secret: Secret): boolean {
  const expected = secret.reveal();
  if (expected === '' || authorization === null) return false;
  return timingSafeEqual(digest(authorization.trim()), digest(`Bearer ${expected}`));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
