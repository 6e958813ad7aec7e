import type { MissingPermission } from '../calendar-source.ts';
import { tokenClaims } from './graph-schemas.ts';

/**
 * The Microsoft Graph application permissions the service needs, each with the higher ones
 * that include it. An app-only token lists what is granted (with admin consent) in `roles`.
 */
export const GRAPH_PERMISSIONS = [
  {
    name: 'Calendars.Read',
    neededFor: 'read appointments and subscribe to their changes',
    includedIn: ['Calendars.Read', 'Calendars.ReadWrite'],
    provenBy: 'calendar reads',
  },
  {
    name: 'MailboxSettings.Read',
    neededFor: 'read out-of-office settings and the mailbox time zone',
    includedIn: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
    provenBy: 'out-of-office reads',
  },
  {
    name: 'User.Read.All',
    neededFor: 'find the user behind an address that is not their user principal name (an alias)',
    includedIn: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    provenBy: undefined,
  },
] as const;

export type GraphPermission = (typeof GRAPH_PERMISSIONS)[number]['name'];

/** The granted application permissions of a token (its `roles`; none when the claim is absent), or null for no JWT. */
export function tokenRoles(token: string): readonly string[] | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = tokenClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return claims.success ? (claims.data.roles ?? []) : null;
  } catch {
    return null;
  }
}

/** What a token's roles leave out, with how an administrator grants each (app registration or managed identity). */
export function missingGraphPermissions(
  roles: readonly string[],
  credential: 'app registration' | 'managed identity',
): MissingPermission[] {
  const granted = new Set(roles.map((role) => role.toLowerCase()));
  return GRAPH_PERMISSIONS.filter((p) => !p.includedIn.some((role) => granted.has(role.toLowerCase()))).map(
    (p) => ({
      name: p.name,
      neededFor: p.neededFor,
      howToGrant: howToGrant(p.name, credential, p.provenBy !== undefined),
      ...(p.provenBy === undefined ? {} : { provenBy: p.provenBy }),
    }),
  );
}

function howToGrant(
  name: string,
  credential: 'app registration' | 'managed identity',
  perMailbox: boolean,
): string {
  const inEntra =
    credential === 'app registration'
      ? `in Microsoft Entra ID, App registrations → the app → API permissions → Add a permission → Microsoft Graph → Application permissions → ${name}, then Grant admin consent`
      : `assign the Microsoft Graph app role ${name} to the managed identity's service principal (POST /servicePrincipals/{id}/appRoleAssignments)`;
  const inExchange = perMailbox
    ? `; or, for chosen mailboxes only, the Exchange Online role "Application ${name}" (RBAC for Applications)`
    : '';
  return `${inEntra}${inExchange} (docs/connect-a-tenant.md)`;
}
