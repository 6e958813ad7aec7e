import { randomBytes } from 'node:crypto';
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import type { AdminLog, AdminLogReader, LogEntry, LogLevel } from '../log/admin-log.ts';
import { oneLogLine } from '../log/log-line.ts';
import type { Table } from './table.ts';

/**
 * The administrator's log in one table partition. The RowKey is the cursor: the time in
 * milliseconds (zero-padded, so text order is time order), a per-process counter and a random
 * tail (several instances may write in the same millisecond). Retention is bounded by age and
 * by count, swept now and then by the writer.
 */
const PARTITION = 'log';
const MAX_LINE = 4000;

export interface TableAdminLogOptions {
  readonly retentionMs?: number;
  readonly maxEntries?: number;
  /** How often (at most) a writer sweeps old entries. */
  readonly sweepEveryMs?: number;
  readonly now?: () => number;
  /** Also hand each entry here (the local host prints it). */
  readonly echo?: (entry: LogEntry) => void;
}

const logRow = z.object({
  rowKey: z.string(),
  at: z.number(),
  level: z.enum(['info', 'warning', 'error']),
  line: z.string(),
});

export class TableAdminLog implements AdminLog, AdminLogReader {
  readonly #table: Table;
  readonly #retentionMs: number;
  readonly #maxEntries: number;
  readonly #sweepEveryMs: number;
  readonly #now: () => number;
  readonly #echo: ((entry: LogEntry) => void) | undefined;
  readonly #instance = randomBytes(3).toString('hex');
  #counter = 0;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(table: Table, options: TableAdminLogOptions = {}) {
    this.#table = table;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#sweepEveryMs = options.sweepEveryMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
    this.#echo = options.echo;
  }

  async write(line: string, level: LogLevel = 'info'): Promise<void> {
    await this.writeMany([line], level);
  }

  /** One transaction per 100 lines (one partition), cursors taken in order. */
  async writeMany(lines: readonly string[], level: LogLevel = 'info'): Promise<void> {
    if (lines.length === 0) return;
    const at = this.#now();
    const entries = lines.map((line): LogEntry => {
      this.#counter = (this.#counter + 1) % 1_000_000;
      const cursor = `${cursorTime(at)}-${String(this.#counter).padStart(6, '0')}-${this.#instance}`;
      // Writers interpolate foreign values; here, once for all of them, each stays one line.
      return { cursor, at, level, line: oneLogLine(line.slice(0, MAX_LINE)) };
    });
    for (const entry of entries) this.#echo?.(entry);
    const rows = entries.map((entry) => ({
      partitionKey: PARTITION,
      rowKey: entry.cursor,
      at: { value: at, type: 'Double' as const },
      level,
      line: entry.line,
    }));
    const [only] = rows;
    if (rows.length === 1 && only !== undefined) {
      await this.#table.run('write log', (client) => client.createEntity(only));
    } else {
      await this.#table.submitInBatches(rows.map((row): TransactionAction => ['create', row]));
    }
    if (at - this.#lastSweep >= this.#sweepEveryMs) {
      this.#lastSweep = at;
      await this.sweep();
    }
  }

  async readAfter(cursor: string | null, limit: number): Promise<readonly LogEntry[]> {
    const filter =
      cursor === null
        ? odata`PartitionKey eq ${PARTITION}`
        : odata`PartitionKey eq ${PARTITION} and RowKey gt ${cursor}`;
    return this.#table.run('read log', async (client) => {
      const entries: LogEntry[] = [];
      if (limit <= 0) return entries;
      for await (const row of client.listEntities({ queryOptions: { filter } })) {
        const r = logRow.parse(row);
        entries.push({ cursor: r.rowKey, at: r.at, level: r.level, line: r.line });
        if (entries.length >= limit) break;
      }
      return entries;
    });
  }

  /** Deletes entries older than the retention, and the oldest beyond the maximum count. */
  async sweep(): Promise<void> {
    const keys = await this.#table.rowKeys(odata`PartitionKey eq ${PARTITION}`);
    const cutoff = cursorTime(this.#now() - this.#retentionMs);
    const excess = keys.length - this.#maxEntries;
    const doomed = keys.filter((key, i) => i < excess || key < cutoff);
    await this.#table.submitInBatches(
      doomed.map((rowKey): TransactionAction => ['delete', { partitionKey: PARTITION, rowKey }]),
    );
  }
}

const cursorTime = (at: number): string => String(Math.max(0, Math.floor(at))).padStart(15, '0');
