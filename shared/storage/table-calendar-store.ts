import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Appointment, Instant, OutOfOffice } from '../presence/model.ts';
import { appointmentRecord, optionalNumber, optionalString, outOfOfficeRecord } from './records.ts';
import { statusOf, storageError } from './storage-error.ts';
import type { CalendarRead, CalendarStore, SavedRead, StoredCalendar } from './stores.ts';
import {
  chunkedProperties,
  double,
  encodeKey,
  MAX_BATCH,
  parseJson,
  readChunked,
  splitText,
  type Table,
} from './table.ts';

/**
 * One partition per user: a `meta` row (window, out-of-office, errors, and which generation of
 * appointments is current). A week's appointments of usual size live in the `meta` row itself
 * (generation `inline`): one point read and one entity write per user. Larger ones are chunked
 * JSON rows `appts-<generation>-<nnn>` of at most 30,000 UTF-16 units each (a property holds 64 KiB).
 *
 * Why chunks, not a row per appointment: a read always replaces the whole window, and a user
 * may have 1,000 appointments. Rows per appointment would take ten transactions to replace,
 * during which a reader sees a mix of old and new. Chunks of a new generation are written
 * first (invisible), then one conditional update of `meta` switches to them, then the old
 * generation is deleted: readers see the old set or the new one, never a mix, and 1,000
 * appointments (~400 KB of JSON) are ~15 rows written in one transaction.
 *
 * Out-of-order writes are ignored: a read older than the stored one does not replace it, so
 * a sync job that runs twice or late leaves the same end state.
 */
const META = 'meta';
/** The generation of appointments kept in the meta row (new generations are base-36 time and hex). */
const INLINE = 'inline';
/**
 * Appointments JSON kept in the meta row up to this length (~250 appointments; UTF-16 units):
 * with the out-of-office reply beside it, well inside an entity's 1 MiB.
 */
const INLINE_MAX_LENGTH = 100_000;
/** A merge cannot write null (the service drops null properties), so no error is ''. */
const NO_ERROR = '';
const MAX_ATTEMPTS = 5;

const metaRow = z.object({
  userId: z.string(),
  generation: optionalString,
  chunks: optionalNumber,
  windowStart: optionalNumber,
  windowEnd: optionalNumber,
  calendarReadAt: optionalNumber,
  calendarReadBecause: optionalString,
  timeZone: optionalString,
  outOfOfficeReadAt: optionalNumber,
  lastError: optionalString,
  etag: z.string(),
});
type Meta = z.infer<typeof metaRow>;

const DISABLED: OutOfOffice = { status: 'disabled', internalReplyHtml: null };

export class TableCalendarStore implements CalendarStore {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async get(userId: string): Promise<StoredCalendar | null> {
    const partitionKey = encodeKey(userId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let row = await this.#table.getOrNull(partitionKey, META);
      if (row === null) return null;
      let meta = metaRow.parse(row);
      let appointments: Appointment[] | null | undefined = inlineAppointments(row, meta);
      if (appointments === undefined) {
        // Chunk rows: one query reads the meta row again with the chunks of every generation present.
        const rows = await this.#table.query(odata`PartitionKey eq ${partitionKey}`);
        const current = rows.find((r) => r.rowKey === META);
        if (current === undefined) return null;
        row = current;
        meta = metaRow.parse(row);
        appointments = inlineAppointments(row, meta) ?? readAppointments(rows, meta);
      }
      // null: the generation was replaced while we read it; read the new one.
      if (appointments == null) continue;
      return calendarOf(userId, row, meta, appointments);
    }
    throw new AppError('storage.conflict', 'Storage: calendar kept changing while being read');
  }

  /**
   * Usually one read of `meta` and one transaction: the new chunks, the conditional update of
   * `meta` and the deletion of the replaced generation together (readers see the old set or the
   * new one). A read too large for one transaction takes the longer way of chunks first.
   */
  async saveRead(userId: string, read: CalendarRead): Promise<SavedRead> {
    const partitionKey = encodeKey(userId);
    const json = read.calendar === undefined ? null : JSON.stringify(read.calendar.appointments);
    const inline = json !== null && json.length <= INLINE_MAX_LENGTH;
    const generation = inline ? INLINE : newGeneration(read.readAt);
    const parts = json === null || inline ? [] : splitText(json);
    if (parts.length > MAX_CHUNKS_IN_TRANSACTION) return this.#saveApart(userId, read, generation, parts);
    const client = await this.#table.client();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // A user's first read creates the row unread; if it exists after all, the create fails and the next attempt reads.
      const row =
        attempt === 0 && read.firstRead === true ? null : await this.#table.getOrNull(partitionKey, META);
      const current = row === null ? null : metaRow.parse(row);
      const calendar = takesCalendar(current, read)
        ? {
            ...calendarProperties(read, generation, parts.length),
            ...(inline && json !== null ? inlineProperties(json, current, row) : {}),
          }
        : null;
      const oof = takesOutOfOffice(current, read) ? outOfOfficeProperties(read) : null;
      const saved = savedRead(read, calendar, oof, row, current, current === null);
      if (calendar === null && oof === null) return saved;
      const entity = { partitionKey, rowKey: META, userId, ...calendar, ...oof, lastError: NO_ERROR };
      const replaced = calendar === null ? [] : generationKeys(current);
      const write: TransactionAction =
        current === null ? ['create', entity] : ['update', entity, 'Merge', { etag: current.etag }];
      const actions: TransactionAction[] = [
        ...(calendar === null ? [] : chunkUpserts(partitionKey, generation, parts)),
        write,
        ...replaced.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]),
      ];
      if (actions.length > MAX_BATCH) return this.#saveApart(userId, read, generation, parts);
      // The meta row alone (the usual case) is one entity write, not a transaction.
      let written: boolean;
      try {
        written = await this.#unlessRaced(() =>
          actions.length > 1 ? client.submitTransaction(actions) : writeMeta(client, entity, current),
        );
      } catch (error) {
        if (actions.length === 1) throw error;
        // Refused whole (Azurite refuses one over a subject holding U+2028 that it takes alone):
        // the long way writes row by row, chunks first, and readers still never see a mix.
        const chunks = json === null ? [] : splitText(json);
        return this.#saveApart(userId, read, newGeneration(read.readAt), chunks);
      }
      if (written) return saved;
    }
    throw new AppError('storage.conflict', 'Storage: calendar kept changing while being written');
  }

  /** Chunks of the new generation first (invisible), then `meta`, then the loser's chunks deleted. */
  async #saveApart(
    userId: string,
    read: CalendarRead,
    generation: string,
    parts: readonly string[],
  ): Promise<SavedRead> {
    const partitionKey = encodeKey(userId);
    if (read.calendar !== undefined)
      await this.#table.submitInBatches(chunkUpserts(partitionKey, generation, parts));
    let saved: SavedRead = { taken: false };
    const replaced = await this.#updateMeta(userId, (current) => {
      const calendar = takesCalendar(current, read)
        ? calendarProperties(read, generation, parts.length)
        : null;
      const oof = takesOutOfOffice(current, read) ? outOfOfficeProperties(read) : null;
      // The long way reads no out-of-office setting it did not bring.
      saved = savedRead(read, calendar, oof, null, null, current === null);
      return calendar === null && oof === null ? null : { ...calendar, ...oof, lastError: NO_ERROR };
    });
    if (read.calendar === undefined) return saved;
    // Whichever generation lost (the replaced one, or ours when a newer read was already stored).
    const calendarTaken = replaced !== undefined && takesCalendar(replaced, read);
    const stale = calendarTaken ? replaced?.generation : generation;
    if (stale != null) await this.#deleteGeneration(partitionKey, stale);
    return saved;
  }

  async saveError(userId: string, message: string): Promise<void> {
    await this.#updateMeta(userId, () => ({ lastError: message.slice(0, 4000) }));
  }

  async delete(userId: string): Promise<void> {
    const partitionKey = encodeKey(userId);
    const rowKeys = await this.#table.rowKeys(odata`PartitionKey eq ${partitionKey}`);
    await this.#table.submitInBatches(
      rowKeys.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]),
    );
  }

  /**
   * Merges `change(current)` into the meta row while nobody else changed it (etag), retrying
   * on a race. Returns the meta it replaced (null: none), or undefined when `change` declined.
   */
  async #updateMeta(
    userId: string,
    change: (current: Meta | null) => Record<string, unknown> | null,
  ): Promise<Meta | null | undefined> {
    const partitionKey = encodeKey(userId);
    const client = await this.#table.client();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const row = await this.#table.getOrNull(partitionKey, META);
      const current = row === null ? null : metaRow.parse(row);
      const properties = change(current);
      if (properties === null) return undefined;
      const entity = { partitionKey, rowKey: META, userId, ...properties };
      if (await this.#unlessRaced(() => writeMeta(client, entity, current))) return current;
    }
    throw new AppError('storage.conflict', 'Storage: calendar kept changing while being written');
  }

  /** False when another writer came first (the row appeared, changed or went): read again and retry. */
  async #unlessRaced(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412 || status === 404) return false;
      throw storageError(`write calendar of a user in ${this.#table.name}`, error);
    }
  }

  async #deleteGeneration(partitionKey: string, generation: string): Promise<void> {
    const rowKeys = await this.#table.rowKeys(
      odata`PartitionKey eq ${partitionKey} and RowKey ge ${chunkPrefix(generation)} and RowKey lt ${`${chunkPrefix(generation)}~`}`,
    );
    await this.#table.submitInBatches(
      rowKeys.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]),
    );
  }
}

/** Creates the meta row, or merges into it while it is still the one read (`current`). */
function writeMeta(
  client: TableClient,
  entity: TableEntity<Record<string, unknown>>,
  current: Meta | null,
): Promise<unknown> {
  return current === null
    ? client.createEntity(entity)
    : client.updateEntity(entity, 'Merge', { etag: current.etag });
}

function calendarOf(
  userId: string,
  row: Readonly<Record<string, unknown>>,
  meta: Meta,
  appointments: Appointment[],
): StoredCalendar {
  const oof = parseJson(readChunked(row, 'oof'));
  return {
    userId,
    appointments,
    window:
      meta.windowStart === null || meta.windowEnd === null
        ? null
        : { start: meta.windowStart, end: meta.windowEnd },
    calendarReadAt: meta.calendarReadAt,
    calendarReadBecause: meta.calendarReadBecause,
    outOfOffice: oof === undefined ? DISABLED : outOfOfficeRecord.parse(oof),
    timeZone: meta.timeZone ?? 'UTC',
    outOfOfficeReadAt: meta.outOfOfficeReadAt,
    lastError: meta.lastError === NO_ERROR ? null : meta.lastError,
  };
}

/** The appointments the meta row holds itself ([] before the first read); undefined when they are in chunk rows. */
function inlineAppointments(row: Readonly<Record<string, unknown>>, meta: Meta): Appointment[] | undefined {
  if (meta.generation === null || meta.chunks === null) return [];
  if (meta.generation !== INLINE) return undefined;
  return parseAppointments(readChunked(row, 'appts') ?? '[]');
}

function parseAppointments(json: string): Appointment[] {
  return z.array(appointmentRecord).parse(parseJson(json));
}

/**
 * The meta row's properties for appointments kept in it, and '' for parts a longer earlier
 * list left (a merge keeps properties it does not name).
 */
function inlineProperties(
  json: string,
  current: Meta | null,
  row: Readonly<Record<string, unknown>> | null,
): Record<string, string | number> {
  const properties = chunkedProperties('appts', json);
  const before = row?.appts_n;
  const parts = typeof properties.appts_n === 'number' ? properties.appts_n : 0;
  if (current?.generation === INLINE && typeof before === 'number') {
    for (let i = parts; i < before; i++) properties[`appts_${i}`] = '';
  }
  return properties;
}

/** The current generation's appointments, or null when some of its chunks are missing (replaced meanwhile). */
function readAppointments(
  rows: readonly Readonly<Record<string, unknown>>[],
  meta: Meta,
): Appointment[] | null {
  if (meta.generation === null || meta.chunks === null) return [];
  const prefix = chunkPrefix(meta.generation);
  const chunks = rows
    .flatMap((row) => (typeof row.rowKey === 'string' && row.rowKey.startsWith(prefix) ? [row] : []))
    .sort((a, b) => (String(a.rowKey) < String(b.rowKey) ? -1 : 1));
  if (chunks.length !== meta.chunks) return null;
  return parseAppointments(chunks.map((row) => (typeof row.data === 'string' ? row.data : '')).join(''));
}

const chunkPrefix = (generation: string): string => `appts-${generation}-`;
const chunkKey = (generation: string, index: number): string =>
  `${chunkPrefix(generation)}${String(index).padStart(3, '0')}`;

/** Chunks per transaction: with the meta row and the replaced chunks, well inside 100 actions and 4 MiB. */
const MAX_CHUNKS_IN_TRANSACTION = 20;

const newGeneration = (readAt: Instant): string =>
  `${readAt.toString(36).padStart(10, '0')}${randomUUID().slice(0, 8)}`;

/** Out-of-order writes are ignored: a read older than the stored one does not replace it. */
function takesCalendar(current: Meta | null, read: CalendarRead): boolean {
  return (
    read.calendar !== undefined && !(current?.calendarReadAt != null && current.calendarReadAt > read.readAt)
  );
}

function takesOutOfOffice(current: Meta | null, read: CalendarRead): boolean {
  return (
    read.outOfOffice !== undefined &&
    !(current?.outOfOfficeReadAt != null && current.outOfOfficeReadAt > read.readAt)
  );
}

/**
 * Taken when every part the read brings is stored (none was older than what is stored); the
 * out-of-office setting is then this read's, or the one in `row` (the meta row the write is
 * conditional on, so still current when the write succeeds).
 */
function savedRead(
  read: CalendarRead,
  calendar: object | null,
  outOfOffice: object | null,
  row: Readonly<Record<string, unknown>> | null,
  current: Meta | null,
  created: boolean,
): SavedRead {
  const taken =
    (read.calendar === undefined || calendar !== null) &&
    (read.outOfOffice === undefined || outOfOffice !== null);
  if (!taken) return { taken };
  if (read.outOfOffice !== undefined) return { taken, outOfOffice: read.outOfOffice, created };
  const stored =
    row === null || current?.outOfOfficeReadAt == null ? undefined : parseJson(readChunked(row, 'oof'));
  const setting = outOfOfficeRecord.safeParse(stored);
  return {
    taken,
    created,
    outOfOffice:
      setting.success && current !== null
        ? { outOfOffice: setting.data, timeZone: current.timeZone ?? 'UTC' }
        : null,
  };
}

function calendarProperties(read: CalendarRead, generation: string, chunks: number): Record<string, unknown> {
  const window = read.calendar?.window;
  return {
    generation,
    chunks,
    windowStart: double(window?.start ?? null),
    windowEnd: double(window?.end ?? null),
    calendarReadAt: double(read.readAt),
    calendarReadBecause: read.because,
  };
}

function outOfOfficeProperties(read: CalendarRead): Record<string, unknown> {
  if (read.outOfOffice === undefined) return {};
  return {
    ...chunkedProperties('oof', JSON.stringify(read.outOfOffice.outOfOffice)),
    timeZone: read.outOfOffice.timeZone,
    outOfOfficeReadAt: double(read.readAt),
  };
}

function chunkUpserts(
  partitionKey: string,
  generation: string,
  parts: readonly string[],
): TransactionAction[] {
  return parts.map((part, i) => [
    'upsert',
    { partitionKey, rowKey: chunkKey(generation, i), data: part },
    'Replace',
  ]);
}

/** The rows of the generation `meta` names (readers check that they are all there). */
function generationKeys(meta: Meta | null): string[] {
  if (meta?.generation == null || meta.chunks == null) return [];
  const generation = meta.generation;
  return Array.from({ length: meta.chunks }, (_, i) => chunkKey(generation, i));
}
