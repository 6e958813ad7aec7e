import { z } from 'zod';
import type { HealthComponent, HealthReport, HealthStore } from './stores.ts';
import type { Table } from './table.ts';

const PARTITION = 'health';
/** A success refreshes lastOkAt in storage at most this often (a push per second must not cost a write each). */
const OK_REFRESH_MS = 5 * 60_000;

const row = z.object({
  rowKey: z.enum(['exchange', 'phonelink', 'exchange-graph', 'exchange-ews']),
  ok: z.boolean(),
  cause: z.string().nullish(),
  at: z.number(),
  lastOkAt: z.number().nullish(),
});

/** HealthStore over one Azure table, with the last written state cached so repeated successes are free. */
export function createTableHealthStore(table: Table): HealthStore {
  const written = new Map<HealthComponent, HealthReport>();
  return {
    async report(component, outcome, at) {
      const last = written.get(component);
      if (outcome.ok && last?.ok === true && last.lastOkAt !== null && at - last.lastOkAt < OK_REFRESH_MS)
        return;
      if (!outcome.ok && last?.ok === false && last.cause === outcome.cause && at - last.at < OK_REFRESH_MS)
        return;
      const report: HealthReport = {
        component,
        ok: outcome.ok,
        cause: outcome.ok ? null : outcome.cause,
        at,
        lastOkAt: outcome.ok ? at : (last?.lastOkAt ?? (await readOne(table, component))?.lastOkAt ?? null),
      };
      // Claimed before the write: the reports that come while it is under way (a scan's pushes
      // all succeed at once) find it and cost nothing; a failed write lets the next one try.
      written.set(component, report);
      try {
        await table.run('write health', (client) =>
          client.upsertEntity(
            {
              partitionKey: PARTITION,
              rowKey: component,
              ok: report.ok,
              at: report.at,
              // Tables have no null: an absent property reads back as null.
              ...(report.cause === null ? {} : { cause: report.cause }),
              ...(report.lastOkAt === null ? {} : { lastOkAt: report.lastOkAt }),
            },
            'Replace',
          ),
        );
      } catch (error) {
        if (written.get(component) === report) {
          if (last === undefined) written.delete(component);
          else written.set(component, last);
        }
        throw error;
      }
    },
    async list() {
      const rows = await table.query(`PartitionKey eq '${PARTITION}'`);
      return rows.flatMap((entity) => {
        const parsed = row.safeParse(entity);
        return parsed.success ? [toReport(parsed.data)] : [];
      });
    },
  };
}

async function readOne(table: Table, component: HealthComponent): Promise<HealthReport | null> {
  const entity = await table.getOrNull(PARTITION, component);
  const parsed = row.safeParse(entity);
  return parsed.success ? toReport(parsed.data) : null;
}

function toReport(data: z.infer<typeof row>): HealthReport {
  return {
    component: data.rowKey,
    ok: data.ok,
    cause: data.cause ?? null,
    at: data.at,
    lastOkAt: data.lastOkAt ?? null,
  };
}
