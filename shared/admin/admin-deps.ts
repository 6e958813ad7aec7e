import type { CalendarSource } from '../calendar/calendar-source.ts';
import type { MailboxRouteStore } from '../calendar/hybrid/mailbox-routes.ts';
import type { Secret } from '../config/secret.ts';
import type { AdminLogReader } from '../log/admin-log.ts';
import type { Instant } from '../presence/model.ts';
import type {
  CalendarStore,
  HealthStore,
  PresenceStore,
  SubscriptionStore,
  UserStore,
} from '../storage/stores.ts';
import type { SettingsDeps } from './admin-settings.ts';

/** What the admin use cases need; the composition root (shared/app/wire-admin.ts) provides it. */
export interface AdminDeps extends SettingsDeps {
  /** The start-up ADMIN_API_KEY (not writable at run time). */
  readonly adminApiKey: Secret | null;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly presence: PresenceStore;
  readonly subscriptions: SubscriptionStore;
  readonly logReader: AdminLogReader;
  readonly health: HealthStore;
  /** Each user's side of a hybrid organization (none kept otherwise). */
  readonly mailboxRoutes: MailboxRouteStore;
  /** For the permissions its credentials lack (the health view). */
  readonly calendarSource: Pick<CalendarSource, 'missingPermissions'>;
  readonly now: () => Instant;
}
