import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Secret } from '../config/secret.ts';
import { AppError, type Result } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import { presenceInputOf } from '../presence/decide-presence.ts';
import { toIsoSeconds } from '../presence/instant.ts';
import { AVAILABILITIES, type Availability, type Instant, type Policy } from '../presence/model.ts';
import { overrideEndsAt } from '../presence/override.ts';
import { prepareCalendar } from '../presence/prepare.ts';
import { QUEUES, type WorkQueues } from '../queues/messages.ts';
import { isExternalId } from '../runtime/external-id.ts';
import { type BodyRefusal, problemOf } from '../runtime/request-body.ts';
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
  /** Reads the JSON body (at most MAX_OVERRIDE_BODY_BYTES) only once the caller is authorized. */
  readonly readBody: () => Promise<Result<unknown, BodyRefusal>>;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

const refusal = (status: number, code: string, message: string): HttpAnswer => ({
  status,
  body: problemOf({ code, message }),
});

/** SPEC §5 `POST /api/phonelink/users/{id}/override`: webhook secret, body check, then setOverride. */
export async function handleOverrideRequest(
  deps: SetOverrideDeps & { readonly webhookSecret: Secret | null },
  request: OverrideRequest,
): Promise<HttpAnswer> {
  if (deps.webhookSecret === null || !bearerMatches(request.authorization, deps.webhookSecret)) {
    return refusal(401, 'auth.unauthorized', 'Send Authorization: Bearer <PHONELINK_WEBHOOK_SECRET>');
  }
  // Before any lookup: an id no store can hold is the caller's mistake, not ours.
  if (!isExternalId(request.userId)) return refusal(400, 'input.invalid', 'The user id is no valid id');
  const body = await request.readBody();
  if (!body.ok) return { status: body.error.status, body: problemOf(body.error) };
  const parsed = overrideRequestBody.safeParse(body.value);
  if (!parsed.success) return refusal(400, 'input.invalid', z.prettifyError(parsed.error));
  const outcome = await setOverride(deps, request.userId, parsed.data.availability);
  if (outcome.kind === 'not-managed') return refusal(404, 'not_found', 'User not managed');
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
