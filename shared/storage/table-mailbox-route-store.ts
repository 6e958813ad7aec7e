import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { MailboxRoute, MailboxRouteStore } from '../calendar/hybrid/mailbox-routes.ts';
import { statusOf } from './storage-error.ts';
import { double, encodeKey, type Table } from './table.ts';

/** The user table's partition (table-user-store.ts): each route is merged onto its user's row. */
const PARTITION = 'user';

const routeRow = z.object({
  id: z.string(),
  mailboxSide: z.enum(['graph', 'ews', 'none']),
  mailboxSideEmail: z.string(),
  mailboxSideCheckedAt: z.number(),
});

export class TableMailboxRouteStore implements MailboxRouteStore {
  readonly #table: Table;

  constructor(table: Table) {
    this.#table = table;
  }

  async list(): Promise<readonly MailboxRoute[]> {
    const rows = await this.#table.query(odata`PartitionKey eq ${PARTITION}`);
    return rows.flatMap((row) => {
      const route = fromRow(row);
      return route === null ? [] : [route];
    });
  }

  async get(userId: string): Promise<MailboxRoute | null> {
    return fromRow(await this.#table.getOrNull(PARTITION, encodeKey(userId)));
  }

  async putAll(routes: readonly MailboxRoute[]): Promise<void> {
    // Merges one by one: a user the directory sync removed meanwhile (404) is not written back.
    await Promise.all(
      routes.map((route) =>
        this.#table.run('write mailbox route', async (client) => {
          try {
            await client.updateEntity(
              {
                partitionKey: PARTITION,
                rowKey: encodeKey(route.userId),
                mailboxSide: route.side,
                mailboxSideEmail: route.email,
                mailboxSideCheckedAt: double(route.checkedAt),
              },
              'Merge',
            );
          } catch (error) {
            if (statusOf(error) !== 404) throw error;
          }
        }),
      ),
    );
  }
}

function fromRow(row: unknown): MailboxRoute | null {
  const parsed = routeRow.safeParse(row);
  if (!parsed.success) return null;
  const { id, mailboxSide, mailboxSideEmail, mailboxSideCheckedAt } = parsed.data;
  return { userId: id, side: mailboxSide, email: mailboxSideEmail, checkedAt: mailboxSideCheckedAt };
}
