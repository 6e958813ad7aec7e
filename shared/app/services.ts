import type { CalendarSource } from '../calendar/calendar-source.ts';
import { ClientStates, coversSubscriptionUntil } from '../calendar/client-states.ts';
import { createCalendarSource } from '../calendar/create-calendar-source.ts';
import type { MailboxRouteStore } from '../calendar/hybrid/mailbox-routes.ts';
import { loadSettings, readLocalSettings } from '../config/load-settings.ts';
import type { Settings } from '../config/settings.ts';
import type { AdminLog, AdminLogReader } from '../log/admin-log.ts';
import { SubscriptionCache } from '../notifications/subscription-cache.ts';
import { type PhonelinkClient, phonelinkClientFromSettings } from '../phonelink/phonelink-client.ts';
import { PhonelinkHealth } from '../phonelink/phonelink-health.ts';
import type { PoisonQueues, WorkQueues } from '../queues/messages.ts';
import { StorageWorkQueues } from '../queues/storage-work-queues.ts';
import { type Clock, systemClock } from '../runtime/clock.ts';
import { createStorageClients, type StorageClients } from '../storage/storage-clients.ts';
import type {
  CalendarStore,
  HealthStore,
  LastScanStore,
  PresenceStore,
  RuntimeSettingsStore,
  SubscriptionStore,
  UserStore,
} from '../storage/stores.ts';
import { Table } from '../storage/table.ts';
import { TableAdminLog } from '../storage/table-admin-log.ts';
import { TableCalendarStore } from '../storage/table-calendar-store.ts';
import { tableClientStateKey } from '../storage/table-client-state-key.ts';
import { createTableHealthStore } from '../storage/table-health-store.ts';
import { TableLastScanStore } from '../storage/table-last-scan.ts';
import { TableMailboxRouteStore } from '../storage/table-mailbox-route-store.ts';
import { TablePresenceStore } from '../storage/table-presence-store.ts';
import { TableRuntimeSettingsStore } from '../storage/table-runtime-settings-store.ts';
import { TableSubscriptionStore } from '../storage/table-subscription-store.ts';
import { TableUserStore } from '../storage/table-user-store.ts';
import { readMovedAgain } from '../sync/read-moved-again.ts';
import { ReadTurns } from '../sync/read-turns.ts';
import { createSecretVault } from '../vault/create-secret-vault.ts';
import type { SecretVault } from '../vault/secret-vault.ts';
import { RuntimeSettingsFollower } from './follow-runtime-settings.ts';

/**
 * The composition root: every adapter the use cases need, built lazily on first access (no
 * client is made, and nothing connects, for a function that does not use it). To add a
 * service: a field in `Services` and its factory in `FACTORIES`.
 */
export interface Services {
  /** The settings these services were built with (the start-up ones overruled by the admin page's, when rebuilt). */
  readonly settings: Settings;
  /** The settings the process started with: what a setting reset on the admin page goes back to. */
  readonly startup: Settings;
  readonly users: UserStore;
  readonly calendars: CalendarStore;
  readonly presence: PresenceStore;
  readonly subscriptions: SubscriptionStore;
  readonly runtimeSettings: RuntimeSettingsStore;
  /** When the deployment last scanned: one start-up scan per deployment, not per instance. */
  readonly lastScan: LastScanStore;
  readonly queues: WorkQueues;
  /** The host's `<queue>-poison` queues, which the hourly maintenance re-runs. */
  readonly poisonQueues: PoisonQueues;
  readonly log: AdminLog;
  readonly logReader: AdminLogReader;
  /** The last outcome of talking to Exchange and PHONE-LiNK (GET /api/status, the health view). */
  readonly health: HealthStore;
  /** Secrets written through the admin API: Key Vault in Azure, `.dev-data/secrets.json` locally. */
  readonly secretVault: SecretVault;
  /** Exchange (Graph or EWS, by CALENDAR_SOURCE); made on first use, so functions that do not read Exchange never sign in. */
  readonly calendarSource: CalendarSource;
  /** CALENDAR_SOURCE=hybrid: the side each user's mailbox is on, kept on the user's record. */
  readonly mailboxRoutes: MailboxRouteStore;
  /** The PHONE-LiNK server API (SPEC §4); fails on first use when PHONELINK_URL or PHONELINK_API_KEY is missing. */
  readonly phonelink: PhonelinkClient;
  /** The PHONE-LiNK connection as the presence worker sees it: reported to `health`, logged once per change. */
  readonly phonelinkHealth: PhonelinkHealth;
  /** Graph clientStates that name their user and prove it (the webhook reads no subscription for them). */
  readonly clientStates: ClientStates;
  /** What the subscription ids in anonymous notices name: one cache for the Graph and EWS webhooks. */
  readonly subscriptionCache: SubscriptionCache;
  /** The calendar-sync jobs of this process, one at a time per user (kept when the services are rebuilt). */
  readonly readTurns: ReadTurns;
  /** The instant every use case reads, and how it waits. */
  readonly clock: Clock;
}

/** What a factory may use: the settings, the storage clients and the other services. */
export interface ServiceContext {
  readonly settings: Settings;
  readonly storage: StorageClients;
  readonly services: Services;
}

/** Table names (letters and digits only, as Azure requires). */
export const TABLES = {
  users: 'users',
  calendars: 'calendars',
  presence: 'presence',
  subscriptions: 'subscriptions',
  runtimeSettings: 'runtimesettings',
  log: 'adminlog',
  health: 'health',
} as const;

type Factories = {
  readonly [K in Exclude<keyof Services, 'settings'>]: (context: ServiceContext) => Services[K];
};

const table = (context: ServiceContext, name: string): Table => new Table(context.storage.table(name));

const FACTORIES: Factories = {
  startup: (c) => c.settings,
  users: (c) => new TableUserStore(table(c, TABLES.users)),
  calendars: (c) => new TableCalendarStore(table(c, TABLES.calendars)),
  presence: (c) => new TablePresenceStore(table(c, TABLES.presence)),
  subscriptions: (c) => new TableSubscriptionStore(table(c, TABLES.subscriptions)),
  runtimeSettings: (c) => new TableRuntimeSettingsStore(table(c, TABLES.runtimeSettings)),
  lastScan: (c) => new TableLastScanStore(table(c, TABLES.runtimeSettings)),
  queues: (c) => new StorageWorkQueues(c.storage.queueService),
  poisonQueues: (c) => new StorageWorkQueues(c.storage.queueService),
  // One object writes and reads the log.
  log: (c) => adminLog(c),
  logReader: (c) => adminLog(c),
  health: (c) => createTableHealthStore(table(c, TABLES.health)),
  secretVault: (c) => createSecretVault(process.env, process.cwd(), c.settings.managedIdentityClientId),
  calendarSource: (c) =>
    createCalendarSource(c.settings, {
      clientState: (userId) => c.services.clientStates.mint(userId),
      renewable: coversSubscriptionUntil,
      now: c.services.clock.now,
      log: c.services.log,
      hybrid: {
        routes: c.services.mailboxRoutes,
        log: c.services.log,
        health: c.services.health,
        now: c.services.clock.now,
        moved: (userIds) => readMovedAgain(c.services.queues, userIds),
      },
    }),
  mailboxRoutes: (c) => new TableMailboxRouteStore(table(c, TABLES.users)),
  phonelink: (c) => phonelinkClientFromSettings(c.settings),
  phonelinkHealth: (c) => new PhonelinkHealth(c.services.health, c.services.log),
  clientStates: (c) =>
    new ClientStates(tableClientStateKey(table(c, TABLES.runtimeSettings)), c.services.clock.now),
  subscriptionCache: (c) => new SubscriptionCache(c.services.subscriptions, c.services.clock.now),
  readTurns: (c) => new ReadTurns(c.services.clock),
  clock: () => systemClock,
};

const adminLogs = new WeakMap<StorageClients, TableAdminLog>();
function adminLog(context: ServiceContext): TableAdminLog {
  let log = adminLogs.get(context.storage);
  if (log === undefined) {
    log = new TableAdminLog(table(context, TABLES.log));
    adminLogs.set(context.storage, log);
  }
  return log;
}

export function createServices(settings: Settings, overrides: Partial<Services> = {}): Services {
  const services = { settings } as Services;
  let storage: StorageClients | null = null;
  const context: ServiceContext = {
    settings,
    get storage() {
      storage ??= createStorageClients(settings.storage);
      return storage;
    },
    services,
  };
  for (const key of Object.keys(FACTORIES) as (keyof Factories)[]) {
    let value: unknown = overrides[key];
    Object.defineProperty(services, key, {
      enumerable: true,
      get() {
        value ??= FACTORIES[key](context);
        return value;
      },
    });
  }
  return Object.freeze(services);
}

let singleton: Services | null = null;
/** Set while the singleton is getServices' own: it then follows settings changed on the admin page. */
let follower: RuntimeSettingsFollower<Services> | null = null;

/**
 * The process's services, from the environment and local.settings.json (SPEC §7), made once,
 * then rebuilt when an administrator changes a setting (PUT /api/settings; checked every 30 s).
 */
export function getServices(): Services {
  if (singleton === null) {
    const startup = loadSettings(process.env, readLocalSettings(process.cwd()));
    singleton = createServices(startup);
    follower = new RuntimeSettingsFollower<Services>(startup, (settings, current) =>
      createServices(settings, {
        startup: current.startup,
        secretVault: current.secretVault,
        log: current.log,
        logReader: current.logReader,
        readTurns: current.readTurns,
      }),
    );
  }
  const current = singleton;
  follower?.follow(current, (next) => {
    if (singleton === current) singleton = next;
  });
  return current;
}

/** After this process changed a setting: the next getServices() looks for it at once. */
export function followSettingsSoon(): void {
  follower?.followSoon();
}

/** Replaces the process's services (the local host and tests); null: made afresh on next use. */
export function setServices(services: Services | null): void {
  singleton = services;
  follower = null;
}
