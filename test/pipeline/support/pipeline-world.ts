import { type RunningAzurite, startAzurite } from '../../../dev/azurite.ts';
import {
  type PhonelinkSimulator,
  type SimUser,
  startPhonelinkSimulator,
} from '../../../dev/phonelink-sim/phonelink-simulator.ts';
import { createServices, type Services } from '../../../shared/app/services.ts';
import { wireOverride, wireRecalculation } from '../../../shared/app/wire-presence.ts';
import { wireDirectorySync } from '../../../shared/app/wire-sync.ts';
import { loadSettings } from '../../../shared/config/load-settings.ts';
import type { AdminLog } from '../../../shared/log/admin-log.ts';
import type { DirectorySyncDeps } from '../../../shared/phonelink/directory-sync.ts';
import type { Instant } from '../../../shared/presence/model.ts';
import type { OverrideDeps } from '../../../shared/presence-sync/override-http.ts';
import type { RecalculatePresenceDeps } from '../../../shared/presence-sync/recalculate-presence.ts';
import type { QUEUES, WorkQueues } from '../../../shared/queues/messages.ts';
import { StorageWorkQueues } from '../../../shared/queues/storage-work-queues.ts';
import { createStorageClients } from '../../../shared/storage/storage-clients.ts';
import type { HealthStore } from '../../../shared/storage/stores.ts';

export const API_KEY = 'pipeline-api-key';
export const WEBHOOK_SECRET = 'pipeline-webhook-secret-0123456789ab';

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
 * The presence pipeline's use cases over real parts, built by the production composition
 * (shared/app/) from SPEC §7 settings: Azurite tables and queues, the PHONE-LiNK simulator. Only
 * the clock (set by the test) and the queues (remembered) are replaced. No functions host: the
 * test hands messages to the use case.
 */
export interface PipelineWorld {
  readonly azurite: RunningAzurite;
  readonly sim: PhonelinkSimulator;
  readonly services: Services;
  readonly queues: RememberingQueues;
  readonly storageQueues: StorageWorkQueues;
  readonly log: AdminLog;
  readonly healthStore: HealthStore;
  readonly deps: RecalculatePresenceDeps;
  readonly overrideDeps: OverrideDeps;
  readonly directorySync: DirectorySyncDeps;
  /** Sets the clock the use cases read. */
  setNow(instant: Instant): void;
  /** Ticks or unticks "Activate" where the admin API writes it. */
  setIntegrationEnabled(enabled: boolean): Promise<void>;
  logLines(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startPipelineWorld(users: readonly SimUser[]): Promise<PipelineWorld> {
  const azurite = await startAzurite();
  const sim = await startPhonelinkSimulator({ apiKey: API_KEY, users });
  const settings = loadSettings({
    AzureWebJobsStorage: azurite.connectionString,
    PHONELINK_URL: sim.url,
    PHONELINK_API_KEY: API_KEY,
    PHONELINK_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
  const storageQueues = new StorageWorkQueues(createStorageClients(settings.storage).queueService);
  const queues = new RememberingQueues(storageQueues);
  let now = 0;
  const services = createServices(settings, {
    queues,
    clock: {
      now: () => now,
      // The fake clock moves on instead of the test waiting.
      sleep: async (ms) => {
        now += ms;
      },
    },
  });
  return {
    azurite,
    sim,
    services,
    queues,
    storageQueues,
    log: services.log,
    healthStore: services.health,
    deps: wireRecalculation(services),
    overrideDeps: wireOverride(services),
    directorySync: wireDirectorySync(services),
    setNow(instant) {
      now = instant;
    },
    async setIntegrationEnabled(enabled) {
      await services.runtimeSettings.put({ INTEGRATION_ENABLED: enabled });
    },
    async logLines() {
      return (await services.logReader.readAfter(null, 1000)).map((e) => e.line);
    },
    async stop() {
      await sim.stop();
      await azurite.stop();
    },
  };
}
