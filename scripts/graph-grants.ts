// What `azd up`'s postprovision step grants the Function App's managed identity in Microsoft Graph,
// decided from what the directory holds (pure: data in, data out). scripts/grant-graph-permissions.ts
// reads the directory and performs the decision.

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The application permissions the service uses, and why. */
export const NEEDED_ROLES: ReadonlyArray<readonly [role: string, why: string]> = [
  ['Calendars.Read', 'reads the calendars of PHONE-LiNK users'],
  ['MailboxSettings.Read', 'reads their automatic replies (out of office) and time zones'],
  ['User.Read.All', 'finds a user by e-mail address (the directory read of the user lookup)'],
];

export interface AppRole {
  readonly id: string;
  readonly value: string | null;
  readonly allowedMemberTypes: readonly string[];
}

export interface HeldAssignment {
  readonly resourceId: string;
  readonly appRoleId: string;
}

export interface GrantPlan {
  /** Roles to assign, with the ids Microsoft Graph's service principal gives them. */
  readonly grant: readonly AppRole[];
  /** Roles the identity already holds. */
  readonly already: readonly string[];
  /** Roles the Graph service principal does not offer as application permissions (a cloud without them). */
  readonly unknown: readonly string[];
}

export function planGrants(
  graph: { readonly id: string; readonly appRoles: readonly AppRole[] },
  held: readonly HeldAssignment[],
  wanted: readonly string[] = NEEDED_ROLES.map(([role]) => role),
): GrantPlan {
  const grant: AppRole[] = [];
  const already: string[] = [];
  const unknown: string[] = [];
  for (const value of wanted) {
    const role = graph.appRoles.find(
      (r) => r.value === value && r.allowedMemberTypes.includes('Application'),
    );
    if (role === undefined) unknown.push(value);
    else if (held.some((a) => a.resourceId === graph.id && a.appRoleId === role.id)) already.push(value);
    else grant.push(role);
  }
  return { grant, already, unknown };
}

export interface Identity {
  /** Application (client) id of the managed identity. */
  readonly clientId: string;
  /** Object id of its service principal (the identity's principal id). */
  readonly principalId: string;
}

/**
 * RBAC for Applications in Exchange Online: the same two mailbox permissions, limited to the
 * PHONE-LiNK users. An Entra grant would reach every mailbox, so in this mode none is made.
 */
export function exchangeRbacCommands(identity: Identity, scopeName = 'PHONE-LiNK presence'): string[] {
  return [
    'Connect-ExchangeOnline',
    `New-ServicePrincipal -AppId ${identity.clientId} -ObjectId ${identity.principalId} -DisplayName "PHONE-LiNK Calendar Presence"`,
    '# The PHONE-LiNK users, e.g. the members of a mail-enabled security group:',
    '$group = Get-DistributionGroup phonelink-presence@contoso.com',
    `New-ManagementScope -Name "${scopeName}" -RecipientRestrictionFilter "MemberOfGroup -eq '$($group.DistinguishedName)'"`,
    `New-ManagementRoleAssignment -App ${identity.clientId} -Role "Application Calendars.Read" -CustomResourceScope "${scopeName}"`,
    `New-ManagementRoleAssignment -App ${identity.clientId} -Role "Application MailboxSettings.Read" -CustomResourceScope "${scopeName}"`,
    `Test-ServicePrincipalAuthorization -Identity ${identity.clientId} -Resource ann@contoso.com`,
  ];
}

/** What to tell a deployer whom Graph refused, and what to ask of whom. */
export function missingRightMessage(tenantId: string, identity: Identity, roles: readonly string[]): string {
  return [
    `You may not grant Microsoft Graph application permissions in tenant ${tenantId}.`,
    'That takes the Entra ID role Privileged Role Administrator (or Global Administrator); an',
    'app granting them needs AppRoleAssignment.ReadWrite.All and Application.Read.All.',
    `Ask a Privileged Role Administrator of the tenant to grant ${roles.join(', ')} to the managed`,
    `identity (client id ${identity.clientId}, object id ${identity.principalId}), for example by`,
    'running, signed in with `az login` or `azd auth login`:',
    '  azd hooks run postprovision',
    'or by hand: POST /v1.0/servicePrincipals/{Microsoft Graph object id}/appRoleAssignedTo with',
    `  { "principalId": "${identity.principalId}", "resourceId": "{Microsoft Graph object id}", "appRoleId": "{role id}" }`,
    'Until then the app cannot read calendars; the admin page shows it.',
  ].join('\n');
}
