import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type { UserRecord, UserStore } from '../storage/stores.ts';
import type { PhonelinkClient, PhonelinkUser } from './phonelink-client.ts';
import type { PhonelinkHealth } from './phonelink-health.ts';

export interface DirectorySyncDeps {
  readonly phonelink: PhonelinkClient;
  readonly users: UserStore;
  readonly log: AdminLog;
  readonly now: () => Instant;
  /** When given, the outcome of reading the directory counts for the PHONE-LiNK connection status. */
  readonly health?: PhonelinkHealth;
}

export interface DirectorySyncResult {
  /** Users the service manages now: subscribe to (or renew) their calendars. */
  readonly integrated: readonly UserRecord[];
  /**
   * Users managed before and not any more (gone from PHONE-LiNK, integration unticked, email
   * removed), and the previous record of users whose email changed: unsubscribe these.
   */
  readonly removed: readonly UserRecord[];
  /**
   * Integrated users who were not before under this address (new, ticked again, or with a new
   * email): the scan forgets whatever was kept of them, so nothing is stored for them yet.
   */
  readonly joined: readonly UserRecord[];
  /** Every PHONE-LiNK user, integrated or not, as stored. */
  readonly all: readonly UserRecord[];
}

/**
 * SPEC §4 directory sync: reads every PHONE-LiNK user, decides who is integrated (Calendar
 * Integration ticked and an email address), stores the whole directory with the reason each
 * user is skipped, and names every skipped user in the log. Throws the client's AppError when
 * PHONE-LiNK cannot be read; the stored directory is then left as it was.
 */
export async function syncDirectory(deps: DirectorySyncDeps): Promise<DirectorySyncResult> {
  const [listed, before] = await Promise.all([listUsers(deps), deps.users.list()]);
  const now = deps.now();
  const previous = new Map(before.map((user) => [user.id, user]));
  const all = uniqueById(listed).map((u) => keepDirectoryUser(toRecord(u, now), previous.get(u.id)));

  for (const user of all) {
    if (user.skipReason !== null)
      await deps.log.write(`Skipping user ${user.name} (${user.id}): ${user.skipReason}`);
  }
  await deps.users.replaceAll(all);

  const integrated = all.filter((u) => u.integrated);
  const nowById = new Map(integrated.map((u) => [u.id, u]));
  const sameAddress = (a: UserRecord, b: UserRecord) => a.email?.toLowerCase() === b.email?.toLowerCase();
  const removed = before.filter((old) => {
    if (!old.integrated) return false;
    const current = nowById.get(old.id);
    return current === undefined || !sameAddress(current, old);
  });
  const kept = new Map(before.filter((old) => old.integrated).map((old) => [old.id, old]));
  const joined = integrated.filter((user) => {
    const old = kept.get(user.id);
    return old === undefined || !sameAddress(user, old);
  });
  await deps.log.write(
    `PHONE-LiNK users: ${all.length}, integrated: ${integrated.length}, skipped: ${all.length - integrated.length}`,
  );
  return { integrated, removed, joined, all };
}

async function listUsers(deps: DirectorySyncDeps) {
  try {
    const users = await deps.phonelink.listUsers();
    await deps.health?.report('online', null, deps.now());
    return users;
  } catch (error) {
    if (error instanceof AppError && deps.health !== undefined) {
      if (error.code === 'phonelink.unauthorized')
        await deps.health.report('unauthorized', error.message, deps.now());
      if (error.code === 'phonelink.unreachable')
        await deps.health.report('unreachable', error.message, deps.now());
    }
    throw error;
  }
}

function toRecord(user: PhonelinkUser, now: Instant): UserRecord {
  const email = user.email?.trim() ?? '';
  const name = user.name.trim() === '' ? `user ${user.id}` : user.name.trim();
  const skipReason = !user.calendarIntegration
    ? 'Calendar Integration is not ticked'
    : email === ''
      ? 'no email address'
      : null;
  return {
    id: user.id,
    name,
    email: email === '' ? null : email,
    integrated: skipReason === null,
    skipReason,
    updatedAt: now,
  };
}

/** The directory user an address resolved to holds while the address is the same. */
function keepDirectoryUser(user: UserRecord, before: UserRecord | undefined): UserRecord {
  const known = before?.directoryUser;
  return known !== undefined && known.email.toLowerCase() === user.email?.toLowerCase()
    ? { ...user, directoryUser: known }
    : user;
}

/** A directory listing the same id twice keeps the first. */
function uniqueById(users: readonly PhonelinkUser[]): PhonelinkUser[] {
  const seen = new Set<string>();
  return users.filter((u) => !seen.has(u.id) && seen.add(u.id) !== undefined);
}
