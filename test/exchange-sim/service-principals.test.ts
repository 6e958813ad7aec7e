import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { MICROSOFT_GRAPH_APP_ID } from '../../dev/exchange-sim/graph/service-principals.ts';
import { bearer, CLIENT_ID, startSim } from './fixtures.ts';

const MI = 'b3b3b3b3-0000-4000-8000-000000000001';
const CALENDARS_READ = '798ee544-9d2d-430c-a058-570e29e34338';

describe('simulated Graph: service principals and app role assignments', () => {
  let sim: ExchangeSimulator;
  let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

  before(async () => {
    sim = await startSim();
    call = async (method, path, body) => {
      // A fresh token each call: a role granted since the last one is only in a new token.
      const authorization = await bearer(sim);
      const response = await fetch(`${sim.graphBaseUrl}/v1.0${path}`, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    };
  });
  after(() => sim.stop());

  const code = (body: unknown) => JSON.stringify(body).match(/"code":"([^"]+)"/)?.[1];

  it('refuses a caller without Application.Read.All with 403 Authorization_RequestDenied', async () => {
    const answer = await call('GET', `/servicePrincipals?$filter=appId eq '${MICROSOFT_GRAPH_APP_ID}'`);
    assert.equal(answer.status, 403);
    assert.equal(code(answer.body), 'Authorization_RequestDenied');
  });

  it('finds Microsoft Graph by appId with its application permissions under their real ids', async () => {
    sim.servicePrincipals.grant(CLIENT_ID, ['Application.Read.All']);
    const answer = await call('GET', `/servicePrincipals?$filter=appId eq '${MICROSOFT_GRAPH_APP_ID}'`);
    assert.equal(answer.status, 200);
    assert.match(
      JSON.stringify(answer.body),
      new RegExp(`"id":"${CALENDARS_READ}","value":"Calendars.Read"`),
    );
    assert.equal((await call('GET', `/servicePrincipals?$filter=startswith(displayName,'M')`)).status, 400);
    const byAppId = await call('GET', `/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')`);
    assert.equal(byAppId.status, 200);
  });

  it('grants only with AppRoleAssignment.ReadWrite.All, once per role', async () => {
    const mi = sim.servicePrincipals.add({
      appId: MI,
      displayName: 'id-presence',
      servicePrincipalType: 'ManagedIdentity',
    });
    const graph = sim.servicePrincipals.graph;
    const body = { principalId: mi.id, resourceId: graph.id, appRoleId: CALENDARS_READ };
    const path = `/servicePrincipals/${graph.id}/appRoleAssignedTo`;
    const refused = await call('POST', path, body);
    assert.equal(refused.status, 403);
    assert.equal(code(refused.body), 'Authorization_RequestDenied');

    sim.servicePrincipals.grant(CLIENT_ID, ['AppRoleAssignment.ReadWrite.All']);
    assert.equal((await call('POST', path, body)).status, 201);
    const again = await call('POST', path, body);
    assert.equal(again.status, 400);
    assert.match(JSON.stringify(again.body), /Permission being assigned already exists on the object/);
    const unknown = await call('POST', path, { ...body, appRoleId: '00000000-0000-0000-0000-000000000000' });
    assert.equal(unknown.status, 400);
    assert.deepEqual(sim.servicePrincipals.rolesOf(MI), ['Calendars.Read']);

    const held = await call('GET', `/servicePrincipals/${mi.id}/appRoleAssignments`);
    assert.match(JSON.stringify(held.body), new RegExp(`"appRoleId":"${CALENDARS_READ}"`));
    assert.equal((await call('GET', `/servicePrincipals/not-a-principal/appRoleAssignments`)).status, 404);
  });

  it("lists the app's managed identities as service principals of type ManagedIdentity", async () => {
    const withIdentity = await startSim({ managedIdentity: { userAssigned: [MI] } });
    try {
      assert.equal(withIdentity.servicePrincipals.byAppId(MI)?.servicePrincipalType, 'ManagedIdentity');
    } finally {
      await withIdentity.stop();
    }
  });
});
