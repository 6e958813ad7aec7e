import { AppError } from '../errors.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import { isExternalId, isWellFormedText } from '../runtime/external-id.ts';
import type { UserRecord, UserStore } from '../storage/stores.ts';
import type { PhonelinkClient, PhonelinkUser } from './phonelink-client.ts';
import type { PhonelinkHealth } from './phonelink-health.ts';

export interface DirectorySyncDeps {
  readonly phonelink: PhonelinkClient;
  readonly users: UserStore;
  readonly log: AdminLog;
  readonly now: () => Instant;
  /** SPEC §4: the outcome of reading the directory counts for the PHONE-LiNK connection status. */
  readonly health: PhonelinkHealth;
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
  // An entry the service cannot read or keep is named in the log and left out; the others go on.
  for (const reason of listed.unreadable)
    await deps.log.write(`Skipping a PHONE-LiNK user: ${reason}`, 'warning');
  const storable: PhonelinkUser[] = [];
  for (const user of listed.users) {
    const reason = unstorable(user);
    if (reason === null) storable.push(user);
    else await deps.log.write(`Skipping PHONE-LiNK user ${printable(user.id)}: ${reason}`, 'warning');
  }
  const previous = new Map(before.map((user) => [user.id, user]));
  const records = uniqueById(storable).map((u) => keepDirectoryUser(toRecord(u, now), previous.get(u.id)));

  for (const user of records) {
    if (user.skipReason !== null)
      await deps.log.write(`Skipping user ${user.name} (${user.id}): ${user.skipReason}`);
  }
  // What storage refuses of one entry is that entry's problem: it is left out like an unreadable one.
  const refused = await deps.users.replaceAll(records);
  for (const { user, reason } of refused)
    await deps.log.write(
      `Skipping PHONE-LiNK user ${printable(user.id)}: storage refused it (${reason})`,
      'warning',
    );
  const notKept = new Set(refused.map(({ user }) => user.id));
  const all = records.filter((u) => !notKept.has(u.id));

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
    await deps.health.report('online', null, deps.now());
    return users;
  } catch (error) {
    if (error instanceof AppError) {
      if (error.code === 'phonelink.unauthorized')
        await deps.health.report('unauthorized', error.message, deps.now());
      if (error.code === 'phonelink.unreachable')
        await deps.health.report('unreachable', error.message, deps.now());
    }
    throw error;
  }
}

/** Longest name and address kept; PHONE-LiNK's own are far shorter (RFC 5321 allows 254 for an address). */
const MAX_NAME_LENGTH = 1_024;
const MAX_EMAIL_LENGTH = 320;

/** Why a listed user cannot be kept (a key, property, message or log line would refuse it), or null. */
function unstorable(user: PhonelinkUser): string | null {
  if (!isExternalId(user.id)) return 'the id is no valid id (empty, too long, or not text)';
  if (!isWellFormedText(user.name) || user.name.length > MAX_NAME_LENGTH) return 'the name cannot be stored';
  if (user.email !== null && (!isWellFormedText(user.email) || user.email.length > MAX_EMAIL_LENGTH)) {
    return 'the email address cannot be stored';
  }
  return null;
}

/** An id as the log can show it: quoted, escaped (JSON escapes a lone surrogate) and cut short. */
function printable(id: string): string {
  return JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);
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
