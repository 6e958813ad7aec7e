import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { graphError, json, type SimRequest, type SimResponse } from './http.ts';

/**
 * The directory's service principals as Microsoft Graph v1.0 serves them: the Microsoft Graph
 * service principal (appId 00000003-0000-0000-c000-000000000000) with its app roles (the
 * application permissions, under their real ids), the tenant's apps and managed identities, and
 * the app role assignments that grant those permissions.
 *
 * The caller's permissions are its token's `roles` (Entra puts the app role assignments held on
 * Microsoft Graph there, exchange-simulator.ts `assignedRoles`): reading service principals
 * takes Application.Read.All (or Directory.Read.All), granting also AppRoleAssignment.ReadWrite.All,
 * and Graph refuses without them with 403 Authorization_RequestDenied.
 */

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Microsoft Graph's application permissions that the service and its set-up meet, with their ids. */
const GRAPH_APP_ROLES: ReadonlyArray<readonly [value: string, id: string, displayName: string]> = [
  ['Calendars.Read', '798ee544-9d2d-430c-a058-570e29e34338', 'Read calendars in all mailboxes'],
  [
    'Calendars.ReadWrite',
    'ef54d2bf-783f-4e0f-bca1-3210c0444d99',
    'Read and write calendars in all mailboxes',
  ],
  ['MailboxSettings.Read', '40f97065-3a4f-4a92-93ca-3a2c2f5e63fb', 'Read all user mailbox settings'],
  [
    'MailboxSettings.ReadWrite',
    '6931bccd-447a-43d1-b442-00a195474933',
    'Read and write all user mailbox settings',
  ],
  ['User.Read.All', 'df021288-bdef-4463-88db-98f22de89214', "Read all users' full profiles"],
  ['Directory.Read.All', '7ab1d382-f21e-4acd-a863-ba3e13f7da61', 'Read directory data'],
  ['Application.Read.All', '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', 'Read all applications'],
  [
    'AppRoleAssignment.ReadWrite.All',
    '06b708a9-e830-4db3-a914-8e69da51d44f',
    'Manage app permission grants and app role assignments',
  ],
];
const READ_DIRECTORY = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'];
const ASSIGN = 'AppRoleAssignment.ReadWrite.All';

export interface SimAppRole {
  readonly id: string;
  readonly value: string;
  readonly displayName: string;
  readonly allowedMemberTypes: readonly string[];
  readonly isEnabled: boolean;
}

export interface SimServicePrincipal {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly servicePrincipalType: 'Application' | 'ManagedIdentity';
  readonly appRoles: readonly SimAppRole[];
}

export interface SimAppRoleAssignment {
  readonly id: string;
  readonly principalId: string;
  readonly principalDisplayName: string;
  readonly principalType: 'ServicePrincipal';
  readonly resourceId: string;
  readonly resourceDisplayName: string;
  readonly appRoleId: string;
  readonly createdDateTime: string;
  readonly deletedDateTime: null;
}

export interface ServicePrincipalsOptions {
  readonly origin: () => string;
  readonly now: () => number;
}

const AssignmentBody = z.object({
  principalId: z.string(),
  resourceId: z.string(),
  appRoleId: z.string(),
});
const APP_ID_FILTER = /^appId eq '([0-9a-fA-F-]{36})'$/;
const BY_APP_ID = /^servicePrincipals\(appId='([0-9a-fA-F-]{36})'\)$/;

export class ServicePrincipals {
  readonly #o: ServicePrincipalsOptions;
  readonly #principals = new Map<string, SimServicePrincipal>();
  readonly #assignments: SimAppRoleAssignment[] = [];
  readonly graph: SimServicePrincipal;

  constructor(options: ServicePrincipalsOptions) {
    this.#o = options;
    this.graph = this.add({
      appId: MICROSOFT_GRAPH_APP_ID,
      displayName: 'Microsoft Graph',
      servicePrincipalType: 'Application',
      appRoles: GRAPH_APP_ROLES.map(([value, id, displayName]) => ({
        id,
        value,
        displayName,
        allowedMemberTypes: ['Application'],
        isEnabled: true,
      })),
    });
  }

  /** A service principal (an app's or a managed identity's); the same appId twice is one principal. */
  add(
    principal: Omit<SimServicePrincipal, 'id' | 'appRoles'> & Partial<SimServicePrincipal>,
  ): SimServicePrincipal {
    const existing = this.byAppId(principal.appId);
    if (existing !== undefined) return existing;
    const created: SimServicePrincipal = { id: randomUUID(), appRoles: [], ...principal };
    this.#principals.set(created.id, created);
    return created;
  }

  byAppId(appId: string): SimServicePrincipal | undefined {
    return [...this.#principals.values()].find((p) => p.appId.toLowerCase() === appId.toLowerCase());
  }

  /** Grants Microsoft Graph application permissions by value, as an administrator's consent does. */
  grant(appId: string, roles: readonly string[]): void {
    const principal = this.byAppId(appId);
    if (principal === undefined) throw new Error(`no service principal for ${appId}`);
    for (const value of roles) {
      const role = this.graph.appRoles.find((r) => r.value === value);
      if (role === undefined) throw new Error(`Microsoft Graph has no app role ${value}`);
      if (!this.#holds(principal.id, role.id)) this.#assign(principal, role.id);
    }
  }

  /** The Microsoft Graph permissions an app holds (the `roles` of its next app-only token). */
  rolesOf(appId: string): string[] {
    const principal = this.byAppId(appId);
    if (principal === undefined) return [];
    return this.#assignments
      .filter((a) => a.principalId === principal.id && a.resourceId === this.graph.id)
      .map((a) => this.graph.appRoles.find((r) => r.id === a.appRoleId)?.value ?? a.appRoleId);
  }

  assignments(): readonly SimAppRoleAssignment[] {
    return [...this.#assignments];
  }

  /** Whether `path` (after /v1.0) is one of these resources. */
  handles(path: string): boolean {
    return /^\/servicePrincipals(\(|\/|$)/i.test(path);
  }

  handle(req: SimRequest): SimResponse {
    // Graph goes by the token: a role granted after it was issued is not in it.
    const held = req.roles;
    if (!READ_DIRECTORY.some((role) => held.has(role))) return denied();
    const segments = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const [first, second, third] = segments;
    if (segments.length === 1 && first?.toLowerCase() === 'serviceprincipals') {
      return req.method === 'GET' ? this.#list(req) : methodNotAllowed(req.method);
    }
    const byAppId = first === undefined ? null : BY_APP_ID.exec(first);
    const principal =
      byAppId?.[1] !== undefined
        ? this.byAppId(byAppId[1])
        : second === undefined
          ? undefined
          : this.#principals.get(second);
    const key = byAppId?.[1] ?? second ?? '';
    if (principal === undefined) return notFound(key);
    const relation = (byAppId === null ? third : second)?.toLowerCase();
    if (relation === undefined)
      return req.method === 'GET' ? this.#one(principal) : methodNotAllowed(req.method);
    if (relation !== 'approleassignedto' && relation !== 'approleassignments') {
      return graphError(400, 'BadRequest', `Resource not found for the segment '${relation}'.`);
    }
    const side = relation === 'approleassignedto' ? 'resource' : 'principal';
    if (req.method === 'GET') return this.#listAssignments(principal, side);
    if (req.method !== 'POST') return methodNotAllowed(req.method);
    if (!held.has(ASSIGN)) return denied();
    return this.#create(principal, side, req.body);
  }

  #list(req: SimRequest): SimResponse {
    const filter = req.query.get('$filter');
    const appId = filter === null ? null : (APP_ID_FILTER.exec(filter.trim())?.[1] ?? undefined);
    if (appId === undefined) return graphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
    const found = [...this.#principals.values()].filter(
      (p) => appId === null || p.appId.toLowerCase() === appId.toLowerCase(),
    );
    return json({
      '@odata.context': `${this.#o.origin()}/v1.0/$metadata#servicePrincipals`,
      value: found.map(view),
    });
  }

  #one(principal: SimServicePrincipal): SimResponse {
    return json({
      '@odata.context': `${this.#o.origin()}/v1.0/$metadata#servicePrincipals/$entity`,
      ...view(principal),
    });
  }

  #listAssignments(principal: SimServicePrincipal, side: 'resource' | 'principal'): SimResponse {
    const found = this.#assignments.filter((a) =>
      side === 'resource' ? a.resourceId === principal.id : a.principalId === principal.id,
    );
    const relation = side === 'resource' ? 'appRoleAssignedTo' : 'appRoleAssignments';
    return json({
      '@odata.context': `${this.#o.origin()}/v1.0/$metadata#servicePrincipals('${principal.id}')/${relation}`,
      value: found,
    });
  }

  /** POST on either side; the body names both, and the path's principal must be the one on its side. */
  #create(onPath: SimServicePrincipal, side: 'resource' | 'principal', raw: unknown): SimResponse {
    const body = AssignmentBody.safeParse(raw);
    if (!body.success) {
      return graphError(
        400,
        'Request_BadRequest',
        'Invalid value specified for property of resource appRoleAssignment.',
      );
    }
    const { principalId, resourceId, appRoleId } = body.data;
    if ((side === 'resource' ? resourceId : principalId) !== onPath.id) {
      return graphError(400, 'Request_BadRequest', `The ${side} of the assignment must be '${onPath.id}'.`);
    }
    const principal = this.#principals.get(principalId);
    const resource = this.#principals.get(resourceId);
    if (principal === undefined) return notFound(principalId);
    if (resource === undefined) return notFound(resourceId);
    if (!resource.appRoles.some((r) => r.id === appRoleId && r.allowedMemberTypes.includes('Application'))) {
      return graphError(
        400,
        'Request_BadRequest',
        `Permission being assigned was not found on application '${resource.appId}'.`,
      );
    }
    if (this.#holds(principal.id, appRoleId, resource.id)) {
      return graphError(400, 'Request_BadRequest', 'Permission being assigned already exists on the object');
    }
    const created = this.#assign(principal, appRoleId, resource);
    return {
      status: 201,
      headers: {
        location: `${this.#o.origin()}/v1.0/servicePrincipals/${resource.id}/appRoleAssignedTo/${created.id}`,
      },
      body: {
        '@odata.context': `${this.#o.origin()}/v1.0/$metadata#servicePrincipals('${onPath.id}')/${side === 'resource' ? 'appRoleAssignedTo' : 'appRoleAssignments'}/$entity`,
        ...created,
      },
    };
  }

  #holds(principalId: string, appRoleId: string, resourceId = this.graph.id): boolean {
    return this.#assignments.some(
      (a) => a.principalId === principalId && a.appRoleId === appRoleId && a.resourceId === resourceId,
    );
  }

  #assign(principal: SimServicePrincipal, appRoleId: string, resource = this.graph): SimAppRoleAssignment {
    const assignment: SimAppRoleAssignment = {
      // Graph's assignment ids are base64url strings, not GUIDs.
      id: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url'),
      principalId: principal.id,
      principalDisplayName: principal.displayName,
      principalType: 'ServicePrincipal',
      resourceId: resource.id,
      resourceDisplayName: resource.displayName,
      appRoleId,
      createdDateTime: new Date(this.#o.now()).toISOString(),
      deletedDateTime: null,
    };
    this.#assignments.push(assignment);
    return assignment;
  }
}

function view(principal: SimServicePrincipal): Record<string, unknown> {
  return {
    id: principal.id,
    appId: principal.appId,
    displayName: principal.displayName,
    servicePrincipalType: principal.servicePrincipalType,
    accountEnabled: true,
    appRoles: principal.appRoles,
  };
}

function denied(): SimResponse {
  return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

function notFound(key: string): SimResponse {
  return graphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function methodNotAllowed(method: string): SimResponse {
  return graphError(405, 'Request_BadRequest', `The method ${method} is not supported here.`);
}
