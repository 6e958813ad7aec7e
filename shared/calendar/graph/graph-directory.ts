import { fail, ok, type Result } from '../../errors.ts';
import type { Mailbox } from '../calendar-source.ts';
import type { BatchAnswer, BatchItem } from './graph-batch.ts';
import { graphStatusError } from './graph-errors.ts';
import { directoryListPage, directoryUsersPage } from './graph-schemas.ts';

/**
 * Graph keys a user by id or userPrincipalName; a primary SMTP address that is not the UPN, or
 * an alias, names nobody at `/users/{address}`. The directory finds the user holding an address
 * (needs the application permission User.Read.All): one `$filter` per address, with `mail`,
 * the proxy addresses and the UPN, all plain filters that need no `ConsistencyLevel`.
 */

/** The directory request for one mailbox's address (the batch item's id is the userId). */
export function directoryLookup(mailbox: Mailbox): BatchItem {
  const address = literal(mailbox.email);
  const smtp = literal(`smtp:${mailbox.email}`);
  const query = new URLSearchParams({
    $filter: `mail eq ${address} or proxyAddresses/any(p:p eq ${smtp}) or userPrincipalName eq ${address}`,
    $select: 'id,mail,userPrincipalName',
  });
  return {
    id: mailbox.userId,
    method: 'GET',
    url: `/users?${query.toString()}`,
    // A directory read touches no mailbox: it does not count against the mailbox's 4 requests.
    mailbox: `directory:${mailbox.email}`,
  };
}

/** The id of the user holding the address, null when nobody does. */
export function directoryAnswer(
  mailbox: Mailbox,
  answer: Result<BatchAnswer> | undefined,
): Result<string | null> {
  const subject = `the directory user with the address ${mailbox.email}`;
  if (answer === undefined) return fail(graphStatusError(502, undefined, `${subject} (no answer)`));
  if (!answer.ok) return answer;
  if (answer.value.status >= 300)
    return fail(graphStatusError(answer.value.status, answer.value.body, subject));
  const parsed = directoryUsersPage.safeParse(answer.value.body);
  if (!parsed.success) return fail(graphStatusError(502, undefined, `${subject} (unreadable answer)`));
  const address = mailbox.email.toLowerCase();
  // Exchange keeps addresses unique; should two match, the one whose primary address it is wins.
  const users = parsed.data.value;
  const user = users.find((u) => u.mail?.toLowerCase() === address) ?? users[0];
  return ok(user?.id ?? null);
}

/** An OData string literal: quoted, with quotes doubled. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Users per page when the whole directory is listed (Graph's most for `/users`). */
export const DIRECTORY_PAGE_SIZE = 999;

/** The first page of the directory listing: every user with the addresses they are found by. */
export function directoryListing(): string {
  const query = new URLSearchParams({
    $select: 'id,mail,userPrincipalName,proxyAddresses',
    $top: String(DIRECTORY_PAGE_SIZE),
  });
  return `/users?${query.toString()}`;
}

/**
 * One page of the listing as address → user id (UPN, mail and every SMTP proxy address, lower
 * case), and the next page's link; null when the page cannot be read.
 */
export function indexDirectoryPage(
  body: unknown,
): { readonly ids: ReadonlyMap<string, string>; readonly nextLink: string | null } | null {
  const parsed = directoryListPage.safeParse(body);
  if (!parsed.success) return null;
  const ids = new Map<string, string>();
  for (const user of parsed.data.value) {
    const addresses = [
      user.userPrincipalName,
      user.mail,
      ...(user.proxyAddresses ?? []).filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5)),
    ];
    for (const address of addresses) {
      const key = address?.toLowerCase();
      // The primary address wins over another user's alias, should Exchange ever allow both.
      if (key !== undefined && key !== '' && (!ids.has(key) || user.mail?.toLowerCase() === key)) {
        ids.set(key, user.id);
      }
    }
  }
  return { ids, nextLink: parsed.data['@odata.nextLink'] ?? null };
}
