import type { AppError } from '../errors.ts';
import { type AdminLog, writeLines } from '../log/admin-log.ts';
import type { CalendarStore, SavedRead } from '../storage/stores.ts';
import {
  planStore,
  type StoreOutcome,
  storedAfter,
  type UserRead,
  type UserState,
} from './mailbox-read-plan.ts';

export interface StoreDeps {
  readonly calendars: CalendarStore;
  readonly log: AdminLog;
  readonly scanWindowDays: number;
}

/** Stores what was read for one user, as planStore decides (mailbox-read-plan.ts); its failures join `failures`. */
export async function storeUser(
  deps: StoreDeps,
  user: UserState,
  read: UserRead & { readonly failures: AppError[] },
): Promise<StoreOutcome> {
  const { userId } = user.mailbox;
  const plan = planStore(user, read, deps.scanWindowDays);
  read.failures.push(...plan.failures);
  const saved: SavedRead | null =
    plan.write === null ? null : await deps.calendars.saveRead(userId, plan.write);
  await writeLines(deps.log, plan.errors, 'error');
  if (plan.errors.length > 0) await deps.calendars.saveError(userId, plan.errors.join('; '));
  return {
    changed: plan.changed,
    calendar: storedAfter(user, plan, saved),
    created: saved?.taken === true && saved.created,
    transient: plan.transient,
  };
}
