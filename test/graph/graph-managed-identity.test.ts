import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type ExchangeSimulator,
  startExchangeSimulator,
} from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { trustLocalCa } from '../../dev/exchange-sim/trust.ts';
import { createServices } from '../../shared/app/services.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import type { AdminLog } from '../../shared/log/admin-log.ts';
import { useIdentityEndpoint } from '../support/app-service-identity.ts';

const TENANT = '7e6d5c4b-2222-4333-8444-555566667777';
/** The user-assigned identity the Bicep attaches and names in AZURE_CLIENT_ID. */
const IDENTITY = 'b7b7b7b7-3333-4444-8555-666677778888';
const HOUR = 3_600_000;

/** The admin log as lines in memory. */
function memoryLog(): AdminLog & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, write: async (line) => void lines.push(line) };
}

describe('§7 Graph on the managed identity (no client secret, as `azd up` deploys it)', () => {
  let exchange: ExchangeSimulator;
  let restoreEnvironment = (): void => undefined;

  before(async () => {
    exchange = await startExchangeSimulator({
      tenantId: TENANT,
      clients: [],
      managedIdentity: { userAssigned: [IDENTITY] },
    });
    trustLocalCa(exchange.caPem);
    const identity = exchange.managedIdentity ?? assert.fail('no managed-identity endpoint');
    restoreEnvironment = useIdentityEndpoint(identity);
  });
  after(async () => {
    restoreEnvironment();
    await exchange.stop();
  });

  /** The app settings the deployment writes, with Graph left to the managed identity. */
  function deployedSettings() {
    return loadSettings({
      CALENDAR_SOURCE: 'graph',
      GRAPH_TENANT_ID: TENANT,
      GRAPH_BASE_URL: exchange.graphBaseUrl,
      GRAPH_AUTHORITY_HOST: exchange.authorityHost,
      AZURE_CLIENT_ID: IDENTITY,
      AzureWebJobsStorage__accountName: 'stpresence',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
  }

  it('gets its token from the identity endpoint for the user-assigned identity, then reads calendars', async () => {
    const now = Date.now();
    const ann = exchange.mailboxes.addUser({
      email: 'ann@contoso.com',
      userPrincipalName: 'ann@contoso.com',
    });
    exchange.mailboxes.createEvent(ann.id, {
      subject: 'Design review',
      start: now + HOUR,
      end: now + 2 * HOUR,
    });
    const source = createServices(deployedSettings()).calendarSource;
    const log = memoryLog();

    await source.connect(log);
    assert.ok(log.lines.includes(`Connected to Microsoft Graph (tenant ${TENANT})`), log.lines.join('\n'));
    const read = await source.readCalendars([{ userId: '201', email: ann.userPrincipalName }], {
      start: now,
      end: now + 7 * 24 * HOUR,
    });
    const calendar = read.get('201');
    assert.ok(calendar?.ok, JSON.stringify(calendar));
    assert.deepEqual(
      calendar.value.appointments.map((a) => a.subject),
      ['Design review'],
    );
    assert.ok((exchange.managedIdentity?.requests() ?? 0) >= 1);
    assert.equal(exchange.requestCount('token'), 0, 'no app registration involved');
  });

  it('names the same identity for storage (unless the host setting names one) and for Key Vault', () => {
    const settings = deployedSettings();
    assert.equal(settings.managedIdentityClientId, IDENTITY);
    assert.partialDeepStrictEqual(settings.storage, { kind: 'identity', clientId: IDENTITY });
  });
});
