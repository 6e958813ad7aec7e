import { z } from 'zod';
import { fail, ok, type Result } from '../errors.ts';
import type { AdminLogReader } from '../log/admin-log.ts';
import { oneLogLine } from '../log/log-line.ts';
import { toIsoSeconds } from '../presence/instant.ts';

const PAGE = 500;
const cursorSchema = z
  .string()
  .max(200)
  .regex(/^[\w.:-]*$/);

/** SPEC §5 GET /api/log?after=<cursor>: the lines after the cursor, oldest first, and the cursor to ask with next. */
export async function readLog(
  reader: AdminLogReader,
  after: string | null,
): Promise<Result<LogPage, string>> {
  const cursor = after === null || after === '' ? null : cursorSchema.safeParse(after);
  if (cursor !== null && !cursor.success) return fail('after: not a cursor this log gave');
  const entries = await reader.readAfter(cursor?.data ?? null, PAGE);
  const last = entries.at(-1);
  return ok({
    // Lines stored before the log wrote them as one line each are shown as one line too.
    entries: entries.map((e) => ({
      cursor: e.cursor,
      at: toIsoSeconds(e.at),
      level: e.level,
      line: oneLogLine(e.line),
    })),
    cursor: last?.cursor ?? cursor?.data ?? null,
    more: entries.length === PAGE,
  });
}

export interface LogPage {
  readonly entries: readonly { cursor: string; at: string; level: string; line: string }[];
  /** Send it back as `after` to get only newer lines. */
  readonly cursor: string | null;
  /** True when the page is full: ask again at once. */
  readonly more: boolean;
}
