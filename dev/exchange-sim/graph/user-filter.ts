import type { SimUser } from '../mailboxes.ts';

/**
 * The `$filter` of `GET /users` as Graph takes it without advanced query parameters
 * (no `ConsistencyLevel: eventual` needed): `eq` on `mail` and `userPrincipalName`, the
 * `proxyAddresses/any(p:p eq '…')` lambda, joined with `or`. String literals are quoted with
 * `'` (doubled inside); directory string comparisons ignore case. Anything else is not
 * understood here, and Graph's answer to what it does not support is 400.
 */

export type UserFilter = (user: SimUser) => boolean;

const LITERAL = "'((?:[^']|'')*)'";
const PROPERTY_EQ = new RegExp(String.raw`^(mail|userPrincipalName)\s+eq\s+${LITERAL}`, 'i');
const ANY_EQ = new RegExp(String.raw`^proxyAddresses/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+${LITERAL}\s*\)`, 'i');
const OR = /^\s+or\s+/i;

/** The filter, or null when the expression is not one Graph would accept. */
export function parseUserFilter(text: string): UserFilter | null {
  const clauses: UserFilter[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    const clause = takeClause(rest);
    if (clause === null) return null;
    clauses.push(clause.filter);
    rest = clause.rest;
    if (rest.length === 0) break;
    const or = OR.exec(rest);
    if (or === null) return null;
    rest = rest.slice(or[0].length);
    if (rest.length === 0) return null;
  }
  if (clauses.length === 0) return null;
  return (user) => clauses.some((clause) => clause(user));
}

function takeClause(text: string): { filter: UserFilter; rest: string } | null {
  const property = PROPERTY_EQ.exec(text);
  if (property?.[1] !== undefined && property[2] !== undefined) {
    const value = unquote(property[2]);
    const name = property[1].toLowerCase();
    return {
      filter: (user) => (name === 'mail' ? user.mail : user.userPrincipalName).toLowerCase() === value,
      rest: text.slice(property[0].length),
    };
  }
  const any = ANY_EQ.exec(text);
  if (any?.[1] !== undefined && any[2] === any[1] && any[3] !== undefined) {
    const value = unquote(any[3]);
    return {
      filter: (user) => user.proxyAddresses.some((address) => address.toLowerCase() === value),
      rest: text.slice(any[0].length),
    };
  }
  return null;
}

function unquote(literal: string): string {
  return literal.replaceAll("''", "'").toLowerCase();
}
