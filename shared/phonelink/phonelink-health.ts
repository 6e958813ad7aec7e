import type { AdminLog } from '../log/admin-log.ts';
import type { HealthStore } from '../storage/stores.ts';

export type PhonelinkConnection = 'online' | 'unreachable' | 'unauthorized';

/**
 * Reports each push outcome to the HealthStore (GET /api/status reads it) and writes one log
 * line when the connection changes, not one per user, so an outage does not flood the log.
 * The last state is per process; a new instance logs its first outcome once.
 */
export class PhonelinkHealth {
  readonly #health: HealthStore;
  readonly #log: AdminLog;
  #last: PhonelinkConnection | null = null;

  constructor(health: HealthStore, log: AdminLog) {
    this.#health = health;
    this.#log = log;
  }

  async report(connection: PhonelinkConnection, cause: string | null, at: number): Promise<void> {
    const changed = this.#last !== connection;
    this.#last = connection;
    await this.#health.report(
      'phonelink',
      connection === 'online' ? { ok: true } : { ok: false, cause: cause ?? connection },
      at,
    );
    if (!changed) return;
    if (connection === 'online') {
      await this.#log.write('PHONE-LiNK connection online');
    } else if (connection === 'unauthorized') {
      await this.#log.write(
        `PHONE-LiNK integration offline: ${cause ?? 'credentials refused'}; check PHONELINK_API_KEY. Updates are kept and delivered once it is accepted`,
        'error',
      );
    } else {
      await this.#log.write(
        `PHONE-LiNK unreachable: ${cause ?? 'no answer'}; presence updates are kept and retried`,
        'warning',
      );
    }
  }
}
