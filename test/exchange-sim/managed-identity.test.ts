import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagedIdentityCredential } from '@azure/identity';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { useIdentityEndpoint } from '../support/app-service-identity.ts';
import { startSim } from './fixtures.ts';

const IDENTITY_CLIENT_ID = 'd1d1d1d1-0000-4000-8000-0000000000aa';

describe('simulated App Service managed-identity endpoint', () => {
  let sim: ExchangeSimulator;
  let endpoint: string;
  let header: string;
  let restoreEnvironment = (): void => undefined;

  before(async () => {
    sim = await startSim({ managedIdentity: { userAssigned: [IDENTITY_CLIENT_ID] } });
    assert.ok(sim.managedIdentity);
    ({ endpoint, header } = sim.managedIdentity);
    restoreEnvironment = useIdentityEndpoint({ endpoint, header });
  });
  after(async () => {
    restoreEnvironment();
    await sim.stop();
  });

  it('gives the real ManagedIdentityCredential with the user-assigned client id a token Graph accepts', async () => {
    const credential = new ManagedIdentityCredential({ clientId: IDENTITY_CLIENT_ID });
    const token = await credential.getToken(`${sim.graphBaseUrl}/.default`);
    assert.ok(token.expiresOnTimestamp > Date.now() + 50 * 60_000);
    const answer = await fetch(`${sim.graphBaseUrl}/v1.0/users`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    assert.equal(answer.status, 200);
    const claims: { appid?: string; roles?: string[] } = JSON.parse(
      Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    assert.equal(claims.appid, IDENTITY_CLIENT_ID);
    assert.ok(claims.roles?.includes('Calendars.Read'));
  });

  it('refuses a request without client_id when the app has only a user-assigned identity, as Azure does', async () => {
    await assert.rejects(
      new ManagedIdentityCredential().getToken(`${sim.graphBaseUrl}/.default`),
      /Unable to load the proper Managed Identity/,
    );
    const url = `${endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(sim.graphBaseUrl)}`;
    const answer = await fetch(url, { headers: { 'X-IDENTITY-HEADER': header } });
    assert.equal(answer.status, 400);
    assert.partialDeepStrictEqual(await answer.json(), {
      statusCode: 400,
      message: 'Unable to load the proper Managed Identity.',
    });
  });

  it('refuses an unknown client id, and a request without the identity header', async () => {
    const resource = encodeURIComponent(sim.graphBaseUrl);
    const unknown = await fetch(
      `${endpoint}?api-version=2019-08-01&resource=${resource}&client_id=00000000-0000-4000-8000-000000000000`,
      { headers: { 'X-IDENTITY-HEADER': header } },
    );
    assert.equal(unknown.status, 400);
    const anonymous = await fetch(
      `${endpoint}?api-version=2019-08-01&resource=${resource}&client_id=${IDENTITY_CLIENT_ID}`,
    );
    assert.equal(anonymous.status, 401);
  });
});
