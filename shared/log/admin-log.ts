/**
 * The administrator's log (SPEC §6): readable lines, oldest first, read with a cursor.
 * Lines never carry a secret or a private subject; writers are responsible for that.
 */
export interface AdminLog {
  write(line: string, level?: LogLevel): Promise<void>;
}

export type LogLevel = 'info' | 'warning' | 'error';

export interface LogEntry {
  readonly cursor: string;
  readonly at: number;
  readonly level: LogLevel;
  readonly line: string;
}

export interface AdminLogReader {
  /** Entries after `cursor` (all retained entries when null), oldest first, at most `limit`. */
  readAfter(cursor: string | null, limit: number): Promise<readonly LogEntry[]>;
}
