// `azd up`, postprovision (azure.yaml): gives the Function App's managed identity the Microsoft Graph
// application permissions the service uses, by app role assignments on Microsoft Graph's service
// principal, signed in as the deployer (DefaultAzureCredential: azd's or az's sign-in). Idempotent:
// what is there already is left alone. `--dry-run` reads and prints the calls it would make.
// With GRAPH_PERMISSION_SCOPE=exchange-rbac (or --exchange-rbac) it grants nothing in Entra and
// prints the Exchange Online commands that scope the permissions to the PHONE-LiNK users.
//   npm run grant-graph-permissions -- [--dry-run] [--exchange-rbac] [--only=Role,Role]

import { pathToFileURL } from 'node:url';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { z } from 'zod';
import {
  exchangeRbacCommands,
  type GrantPlan,
  type Identity,
  MICROSOFT_GRAPH_APP_ID,
  missingRightMessage,
  NEEDED_ROLES,
  planGrants,
} from './graph-grants.ts';

const KNOWN_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
]);

const Inputs = z.object({
  AZURE_TENANT_ID: z.string().min(1, 'AZURE_TENANT_ID is not set (azd sets it after provisioning)'),
  AZURE_MANAGED_IDENTITY_CLIENT_ID: z.string().min(1, 'AZURE_MANAGED_IDENTITY_CLIENT_ID is not set'),
  AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: z.string().min(1, 'AZURE_MANAGED_IDENTITY_PRINCIPAL_ID is not set'),
  GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com'),
  AZURE_AUTHORITY_HOST: z.url().optional(),
  CALENDAR_SOURCE: z.enum(['graph', 'ews']).default('graph'),
  GRAPH_CLIENT_ID: z.string().default(''),
  GRAPH_PERMISSION_SCOPE: z.enum(['tenant', 'exchange-rbac']).default('tenant'),
});
type Inputs = z.infer<typeof Inputs>;

const AppRoles = z.array(
  z.object({ id: z.string(), value: z.string().nullable(), allowedMemberTypes: z.array(z.string()) }),
);
const ServicePrincipalList = z.object({
  value: z.array(
    z.object({ id: z.string(), appId: z.string(), displayName: z.string(), appRoles: AppRoles }),
  ),
});
const AssignmentList = z.object({
  value: z.array(z.object({ resourceId: z.string(), appRoleId: z.string() })),
  '@odata.nextLink': z.string().optional(),
});
const GraphFailure = z.object({
  statusCode: z.number(),
  code: z.string().nullish(),
  message: z.string().nullish(),
});

export interface RunOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly args: readonly string[];
  readonly print: (line: string) => void;
  /** The deployer's sign-in; DefaultAzureCredential unless a test gives another. */
  readonly credential?: TokenCredential;
}

/** Exit code: 0 done (or nothing to do), 1 refused or failed, 2 wrong inputs. */
export async function grantGraphPermissions(options: RunOptions): Promise<number> {
  const { print } = options;
  const dryRun = options.args.includes('--dry-run');
  const parsed = Inputs.safeParse(options.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) print(`${issue.path.join('.')}: ${issue.message}`);
    return 2;
  }
  const inputs = parsed.data;
  const identity: Identity = {
    clientId: inputs.AZURE_MANAGED_IDENTITY_CLIENT_ID,
    principalId: inputs.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
  };
  if (inputs.CALENDAR_SOURCE === 'ews') {
    print('CALENDAR_SOURCE is ews: the app does not call Microsoft Graph, nothing to grant.');
    return 0;
  }
  if (inputs.GRAPH_CLIENT_ID !== '') {
    print(`GRAPH_CLIENT_ID is set: the app calls Graph as app registration ${inputs.GRAPH_CLIENT_ID}, not`);
    print('as its managed identity. Grant that registration its permissions (docs/connect-a-tenant.md).');
    return 0;
  }
  const only = options.args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  if (
    only === undefined &&
    (inputs.GRAPH_PERMISSION_SCOPE === 'exchange-rbac' || options.args.includes('--exchange-rbac'))
  ) {
    print('RBAC for Applications in Exchange Online: nothing is granted in Entra ID (that would reach');
    print('every mailbox). An Exchange administrator runs, in Exchange Online PowerShell:');
    for (const line of exchangeRbacCommands(identity)) print(`  ${line}`);
    print('The user lookup by address also needs User.Read.All, a directory read that opens no mailbox;');
    print('a Privileged Role Administrator grants it alone with:');
    print('  npm run grant-graph-permissions -- --only=User.Read.All');
    return 0;
  }
  const graph = graphClient(inputs, options.credential ?? deployerCredential(inputs));
  const base = `${inputs.GRAPH_BASE_URL.replace(/\/+$/, '')}/v1.0`;
  const show = (method: string, path: string, body?: unknown): void => {
    if (dryRun) print(`${method} ${base}${path}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`);
  };
  try {
    const graphSp = await findServicePrincipal(graph, MICROSOFT_GRAPH_APP_ID, show);
    const held = await heldAssignments(graph, identity.principalId, show);
    const plan = planGrants(graphSp, held, only);
    report(plan, print);
    for (const role of plan.grant) {
      const body = { principalId: identity.principalId, resourceId: graphSp.id, appRoleId: role.id };
      const path = `/servicePrincipals/${graphSp.id}/appRoleAssignedTo`;
      show('POST', path, body);
      if (dryRun) continue;
      await graph.api(path).post(body);
      print(`Granted ${role.value ?? role.id}.`);
    }
    if (dryRun && plan.grant.length > 0) print('--dry-run: nothing was granted.');
    return plan.unknown.length > 0 ? 1 : 0;
  } catch (error) {
    const failure = GraphFailure.safeParse(error);
    if (failure.success && failure.data.statusCode === 403) {
      print(
        missingRightMessage(
          inputs.AZURE_TENANT_ID,
          identity,
          NEEDED_ROLES.map(([role]) => role),
        ),
      );
      return 1;
    }
    const said = failure.success
      ? `${failure.data.statusCode} ${failure.data.code ?? ''}: ${failure.data.message ?? ''}`
      : String(error);
    print(`Microsoft Graph failed: ${said}`);
    return 1;
  }
}

function report(plan: GrantPlan, print: (line: string) => void): void {
  for (const [role, why] of NEEDED_ROLES) {
    if (plan.already.includes(role)) print(`Already there: ${role} (${why}).`);
    else if (plan.grant.some((r) => r.value === role)) print(`To grant: ${role} (${why}).`);
  }
  for (const role of plan.unknown) print(`Microsoft Graph offers no application permission ${role} here.`);
}

type Show = (method: string, path: string, body?: unknown) => void;

async function findServicePrincipal(graph: Client, appId: string, show: Show) {
  const path = '/servicePrincipals';
  const filter = `appId eq '${appId}'`;
  show('GET', `${path}?$filter=${filter}&$select=id,appId,displayName,appRoles`);
  const list = ServicePrincipalList.parse(
    await graph.api(path).filter(filter).select(['id', 'appId', 'displayName', 'appRoles']).get(),
  );
  const found = list.value[0];
  if (found === undefined) throw new Error(`no service principal with appId ${appId} in this tenant`);
  return found;
}

async function heldAssignments(graph: Client, principalId: string, show: Show) {
  const held: Array<{ resourceId: string; appRoleId: string }> = [];
  let next: string | undefined = `/servicePrincipals/${principalId}/appRoleAssignments`;
  while (next !== undefined) {
    show('GET', next);
    const page = AssignmentList.parse(await graph.api(next).get());
    held.push(...page.value);
    next = page['@odata.nextLink'];
  }
  return held;
}

function deployerCredential(inputs: Inputs): TokenCredential {
  const host =
    inputs.AZURE_AUTHORITY_HOST === undefined ? null : new URL(inputs.AZURE_AUTHORITY_HOST).hostname;
  return new DefaultAzureCredential({
    tenantId: inputs.AZURE_TENANT_ID,
    ...(host === null ? {} : { disableInstanceDiscovery: !KNOWN_AUTHORITIES.has(host) }),
  });
}

function graphClient(inputs: Inputs, credential: TokenCredential): Client {
  const baseUrl = new URL(inputs.GRAPH_BASE_URL);
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, {
      scopes: [`${baseUrl.origin}/.default`],
    }),
    baseUrl: baseUrl.href.replace(/\/+$/, ''),
    defaultVersion: 'v1.0',
    customHosts: new Set([baseUrl.hostname]),
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await grantGraphPermissions({
    env: process.env,
    args: process.argv.slice(2),
    print: (line) => console.log(line),
  });
}
