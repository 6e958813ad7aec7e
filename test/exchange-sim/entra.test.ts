import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientCertificateCredential } from '@azure/identity';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { createClientCertificate } from '../../dev/exchange-sim/local-ca.ts';
import { CLIENT_ID, secretCredential, startSim, TENANT_ID } from './fixtures.ts';

const CERT_CLIENT_ID = 'c0c0c0c0-0000-4000-8000-000000000002';

describe('simulated Entra ID token endpoint', () => {
  let sim: ExchangeSimulator;
  let dir: string;
  let certPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entra-test-'));
    const cert = await createClientCertificate(join(dir, 'app.pem'));
    certPath = cert.path;
    sim = await startSim({
      clients: [
        { clientId: CLIENT_ID, clientSecret: 'dev-secret-value' },
        { clientId: CERT_CLIENT_ID, certificatePem: cert.certPem },
      ],
    });
  });
  after(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the real ClientSecretCredential a token for the Graph scope', async () => {
    const token = await secretCredential(sim).getToken(`${sim.graphBaseUrl}/.default`);
    assert.ok(token.token.split('.').length === 3);
    assert.ok(token.expiresOnTimestamp > Date.now() + 50 * 60_000);
    assert.equal(sim.requestCount('token'), 1);
  });

  it('gives the real ClientCertificateCredential a token for a certificate-signed assertion', async () => {
    const credential = new ClientCertificateCredential(TENANT_ID, CERT_CLIENT_ID, certPath, {
      authorityHost: sim.authorityHost,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(`${sim.graphBaseUrl}/.default`);
    assert.ok(token.token.length > 100);
  });

  it('refuses a wrong secret with invalid_client, 401, as Entra does', async () => {
    await assert.rejects(
      secretCredential(sim, 'wrong').getToken(`${sim.graphBaseUrl}/.default`),
      /invalid_client.*AADSTS7000215/s,
    );
    const answer = await fetch(`${sim.authorityHost}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: 'wrong',
        scope: `${sim.graphBaseUrl}/.default`,
      }),
    });
    assert.equal(answer.status, 401);
    const body: unknown = await answer.json();
    assert.partialDeepStrictEqual(body, { error: 'invalid_client', error_codes: [7000215] });
  });

  it('serves OIDC discovery and MSAL instance discovery for the tenant', async () => {
    const oidc: unknown = await (
      await fetch(`${sim.authorityHost}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)
    ).json();
    assert.partialDeepStrictEqual(oidc, {
      token_endpoint: `${sim.authorityHost}/${TENANT_ID}/oauth2/v2.0/token`,
      issuer: `${sim.authorityHost}/${TENANT_ID}/v2.0`,
    });
    const authorize = `${sim.authorityHost}/${TENANT_ID}/oauth2/v2.0/authorize`;
    const instance: unknown = await (
      await fetch(
        `${sim.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`,
      )
    ).json();
    assert.partialDeepStrictEqual(instance, {
      tenant_discovery_endpoint: `${sim.authorityHost}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
    });
  });

  it('stops honouring a rotated secret', async () => {
    sim.setClientSecret(CLIENT_ID, 'rotated');
    try {
      await assert.rejects(secretCredential(sim).getToken(`${sim.graphBaseUrl}/.default`), /invalid_client/);
    } finally {
      sim.setClientSecret(CLIENT_ID, 'dev-secret-value');
    }
  });
});
