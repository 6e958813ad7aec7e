import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { grantGraphPermissions } from '../../scripts/grant-graph-permissions.ts';
import { CLIENT_ID, CLIENT_SECRET, secretCredential, startSim, TENANT_ID } from '../exchange-sim/fixtures.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/grant-graph-permissions.ts', import.meta.url));
const NEEDED = ['Calendars.Read', 'MailboxSettings.Read', 'User.Read.All'];
/** What the deployer's own sign-in may do: read the directory and grant app roles. */
const DEPLOYER_RIGHTS = ['Application.Read.All', 'AppRoleAssignment.ReadWrite.All'];
let nextIdentity = 1;

/**
 * §8 `azd up` postprovision: the script gives the Function App's managed identity its Graph
 * permissions, signed in as the deployer, against the simulated directory.
 */
describe('§8 azd up grants the managed identity its Microsoft Graph permissions', () => {
  let sim: ExchangeSimulator;

  before(async () => {
    sim = await startSim();
    sim.servicePrincipals.grant(CLIENT_ID, DEPLOYER_RIGHTS);
  });
  after(() => sim.stop());

  /** A managed identity as provisioning leaves it: a service principal without any grant. */
  function anIdentity() {
    const clientId = `b1b1b1b1-0000-4000-8000-${String(nextIdentity++).padStart(12, '0')}`;
    const sp = sim.servicePrincipals.add({
      appId: clientId,
      displayName: 'id-presence',
      servicePrincipalType: 'ManagedIdentity',
    });
    return {
      clientId,
      env: {
        AZURE_TENANT_ID: TENANT_ID,
        AZURE_MANAGED_IDENTITY_CLIENT_ID: clientId,
        AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: sp.id,
        GRAPH_BASE_URL: sim.graphBaseUrl,
      },
    };
  }

  /** The script as azd's hook runs it: its own process, the deployer's sign-in from the environment. */
  async function runAsHook(env: Record<string, string>, args: readonly string[] = []) {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: sim.caPath,
        // DefaultAzureCredential: the environment's sign-in comes first.
        AZURE_CLIENT_ID: CLIENT_ID,
        AZURE_CLIENT_SECRET: CLIENT_SECRET,
        AZURE_AUTHORITY_HOST: sim.authorityHost,
        ...env,
      },
    });
    return stdout;
  }

  async function runHere(env: Record<string, string>, args: readonly string[] = []) {
    const lines: string[] = [];
    const code = await grantGraphPermissions({
      env,
      args,
      print: (l) => lines.push(l),
      credential: secretCredential(sim),
    });
    return { code, out: lines.join('\n') };
  }

  it('grants Calendars.Read, MailboxSettings.Read and User.Read.All on the first run, and nothing on the second', async () => {
    const identity = anIdentity();
    const first = await runAsHook(identity.env);
    for (const role of NEEDED) assert.match(first, new RegExp(`Granted ${role.replaceAll('.', '\\.')}\\.`));
    assert.deepEqual(sim.servicePrincipals.rolesOf(identity.clientId).sort(), [...NEEDED].sort());
    const count = sim.servicePrincipals.assignments().length;

    const second = await runAsHook(identity.env);
    assert.doesNotMatch(second, /Granted/);
    for (const role of NEEDED)
      assert.match(second, new RegExp(`Already there: ${role.replaceAll('.', '\\.')}`));
    assert.equal(sim.servicePrincipals.assignments().length, count);
  });

  it('grants only what is missing and names what was already there', async () => {
    const identity = anIdentity();
    sim.servicePrincipals.grant(identity.clientId, ['Calendars.Read']);
    const { code, out } = await runHere(identity.env);
    assert.equal(code, 0);
    assert.match(out, /Already there: Calendars\.Read/);
    assert.match(out, /Granted MailboxSettings\.Read\.[\s\S]*Granted User\.Read\.All\./);
    assert.doesNotMatch(out, /Granted Calendars\.Read/);
  });

  it('prints the calls with --dry-run and grants nothing', async () => {
    const identity = anIdentity();
    const { code, out } = await runHere(identity.env, ['--dry-run']);
    assert.equal(code, 0);
    assert.match(
      out,
      /GET https:\/\/127\.0\.0\.1:\d+\/v1\.0\/servicePrincipals\?\$filter=appId eq '00000003-0000-0000-c000-000000000000'/,
    );
    assert.equal(out.match(/^POST .*\/appRoleAssignedTo \{"principalId":/gm)?.length, 3);
    assert.match(out, /nothing was granted/);
    assert.deepEqual(sim.servicePrincipals.rolesOf(identity.clientId), []);
  });

  it('says plainly who must grant when the deployer lacks the right, and grants nothing', async () => {
    const reader = await startSim();
    try {
      reader.servicePrincipals.grant(CLIENT_ID, ['Application.Read.All']);
      const clientId = 'b2b2b2b2-0000-4000-8000-000000000001';
      const sp = reader.servicePrincipals.add({
        appId: clientId,
        displayName: 'id-presence',
        servicePrincipalType: 'ManagedIdentity',
      });
      const lines: string[] = [];
      const code = await grantGraphPermissions({
        env: {
          AZURE_TENANT_ID: TENANT_ID,
          AZURE_MANAGED_IDENTITY_CLIENT_ID: clientId,
          AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: sp.id,
          GRAPH_BASE_URL: reader.graphBaseUrl,
        },
        args: [],
        print: (l) => lines.push(l),
        credential: secretCredential(reader),
      });
      assert.equal(code, 1);
      const out = lines.join('\n');
      assert.match(out, /You may not grant Microsoft Graph application permissions/);
      assert.match(out, /Privileged Role Administrator/);
      assert.match(out, new RegExp(`object id ${sp.id}`));
      assert.deepEqual(reader.servicePrincipals.rolesOf(clientId), []);
    } finally {
      await reader.stop();
    }
  });

  it('grants nothing in Entra ID for RBAC for Applications, and prints the Exchange Online commands', async () => {
    const identity = anIdentity();
    const { code, out } = await runHere({ ...identity.env, GRAPH_PERMISSION_SCOPE: 'exchange-rbac' });
    assert.equal(code, 0);
    assert.match(
      out,
      new RegExp(
        `New-ServicePrincipal -AppId ${identity.clientId} -ObjectId ${identity.env.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID}`,
      ),
    );
    assert.match(out, /New-ManagementScope -Name "PHONE-LiNK presence"/);
    assert.match(
      out,
      /New-ManagementRoleAssignment -App \S+ -Role "Application Calendars\.Read" -CustomResourceScope/,
    );
    assert.match(
      out,
      /New-ManagementRoleAssignment -App \S+ -Role "Application MailboxSettings\.Read" -CustomResourceScope/,
    );
    assert.deepEqual(sim.servicePrincipals.rolesOf(identity.clientId), []);
  });

  it('has nothing to grant for EWS, and refuses to guess without the identity', async () => {
    const identity = anIdentity();
    assert.equal((await runHere({ ...identity.env, CALENDAR_SOURCE: 'ews' })).code, 0);
    const missing = await runHere({ AZURE_TENANT_ID: TENANT_ID });
    assert.equal(missing.code, 2);
    assert.match(missing.out, /AZURE_MANAGED_IDENTITY_PRINCIPAL_ID/);
    assert.deepEqual(sim.servicePrincipals.rolesOf(identity.clientId), []);
  });
});
