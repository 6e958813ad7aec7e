/**
 * The administrator's log (SPEC §6): readable lines, oldest first, read with a cursor.
 * Lines never carry a secret or a private subject; writers are responsible for that. Foreign
 * values in a line need no care from writers: the log keeps each line one line (log-line.ts).
 */
export interface AdminLog {
  write(line: string, level?: LogLevel): Promise<void>;
  /** Several lines in this order, in as few storage writes as the log allows. */
  writeMany?(lines: readonly string[], level?: LogLevel): Promise<void>;
}

/** `lines` in order, together when the log can. */
export async function writeLines(log: AdminLog, lines: readonly string[], level?: LogLevel): Promise<void> {
  if (log.writeMany !== undefined) await log.writeMany(lines, level);
  // The log orders lines by the cursor taken when write() is called, so they can be stored concurrently.
  else await Promise.all(lines.map((line) => log.write(line, level)));
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
