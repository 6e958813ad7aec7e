import { type RunningAzurite, startAzurite } from '../../../dev/azurite.ts';
import {
  type PhonelinkSimulator,
  type SimUser,
  startPhonelinkSimulator,
} from '../../../dev/phonelink-sim/phonelink-simulator.ts';
import { Secret } from '../../../shared/config/secret.ts';
import { createPhonelinkClient } from '../../../shared/phonelink/phonelink-client.ts';
import { PhonelinkHealth } from '../../../shared/phonelink/phonelink-health.ts';
import type { Instant } from '../../../shared/presence/model.ts';
import type { RecalculatePresenceDeps } from '../../../shared/presence-sync/recalculate-presence.ts';
import type { SetOverrideDeps } from '../../../shared/presence-sync/set-override.ts';
import type { QUEUES, WorkQueues } from '../../../shared/queues/messages.ts';
import { StorageWorkQueues } from '../../../shared/queues/storage-work-queues.ts';
import { createStorageClients } from '../../../shared/storage/storage-clients.ts';
import type { HealthStore } from '../../../shared/storage/stores.ts';
import { Table } from '../../../shared/storage/table.ts';
import { TableAdminLog } from '../../../shared/storage/table-admin-log.ts';
import { TableCalendarStore } from '../../../shared/storage/table-calendar-store.ts';
import { createTableHealthStore } from '../../../shared/storage/table-health-store.ts';
import { TablePresenceStore } from '../../../shared/storage/table-presence-store.ts';
import { TableUserStore } from '../../../shared/storage/table-user-store.ts';
import { aPolicy } from '../../support/builders.ts';

export const API_KEY = 'pipeline-api-key';
export const WEBHOOK_SECRET = 'pipeline-webhook-secret';

export interface SentMessage {
  readonly queue: string;
  readonly message: unknown;
  readonly delaySeconds: number;
}

/** Real Storage queues, with every send remembered so a test can read what was scheduled. */
class RememberingQueues implements WorkQueues {
  readonly sent: SentMessage[] = [];
  readonly #inner: StorageWorkQueues;

  constructor(inner: StorageWorkQueues) {
    this.#inner = inner;
  }

  async send(queue: (typeof QUEUES)[keyof typeof QUEUES], message: unknown, delaySeconds = 0): Promise<void> {
    await this.#inner.send(queue, message, delaySeconds);
    this.sent.push({ queue, message, delaySeconds });
  }
}

/**
 * The presence pipeline's use cases over real parts: Azurite tables and queues, the PHONE-LiNK
 * simulator, and a clock the test sets. No functions host: the test hands messages to the use case.
 */
export interface PipelineWorld {
  readonly azurite: RunningAzurite;
  readonly sim: PhonelinkSimulator;
  readonly queues: RememberingQueues;
  readonly storageQueues: StorageWorkQueues;
  readonly log: TableAdminLog;
  readonly healthStore: HealthStore;
  readonly deps: RecalculatePresenceDeps;
  readonly overrideDeps: SetOverrideDeps & { readonly webhookSecret: Secret };
  /** Sets the clock the use cases read. */
  setNow(instant: Instant): void;
  /** The "Activate" box the worker reads. */
  setIntegrationEnabled(enabled: boolean): void;
  logLines(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startPipelineWorld(users: readonly SimUser[]): Promise<PipelineWorld> {
  const azurite = await startAzurite();
  const sim = await startPhonelinkSimulator({ apiKey: API_KEY, users });
  const clients = createStorageClients({
    kind: 'connectionString',
    connectionString: new Secret(azurite.connectionString),
  });
  const table = (name: string) => new Table(clients.table(name));
  const storageQueues = new StorageWorkQueues(clients.queueService);
  const queues = new RememberingQueues(storageQueues);
  const log = new TableAdminLog(table('log'));
  const healthStore = createTableHealthStore(table('health'));
  let now = 0;
  let integrationEnabled = true;
  const clock = () => now;
  const common = {
    users: new TableUserStore(table('users')),
    calendars: new TableCalendarStore(table('calendars')),
    presence: new TablePresenceStore(table('presence')),
    queues,
    log,
    policy: aPolicy(),
    now: clock,
  };
  const deps: RecalculatePresenceDeps = {
    ...common,
    phonelink: createPhonelinkClient({ baseUrl: new URL(sim.url), apiKey: new Secret(API_KEY) }),
    health: new PhonelinkHealth(healthStore, log),
    integrationEnabled: () => integrationEnabled,
    // The fake clock moves on instead of the test waiting.
    sleep: async (ms) => {
      now += ms;
    },
  };
  return {
    azurite,
    sim,
    queues,
    storageQueues,
    log,
    healthStore,
    deps,
    overrideDeps: { ...common, webhookSecret: new Secret(WEBHOOK_SECRET) },
    setNow(instant) {
      now = instant;
    },
    setIntegrationEnabled(enabled) {
      integrationEnabled = enabled;
    },
    async logLines() {
      return (await log.readAfter(null, 1000)).map((e) => e.line);
    },
    async stop() {
      await sim.stop();
      await azurite.stop();
    },
  };
}
