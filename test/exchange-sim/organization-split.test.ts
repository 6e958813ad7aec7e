import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@microsoft/microsoft-graph-client';
import { mountEws } from '../../dev/exchange-sim/ews/mount-ews.ts';
import type { ExchangeSimulator } from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import { type MailboxHomes, mountOrganization } from '../../dev/exchange-sim/organization-split.ts';
import { EwsCalendarSource } from '../../shared/calendar/ews/ews-calendar-source.ts';
import { EwsTransport } from '../../shared/calendar/ews/ews-transport.ts';
import { Secret } from '../../shared/config/secret.ts';
import { SERVICE_ACCOUNT } from '../ews/ews-fixture.ts';
import { graphClient, startSim } from './fixtures.ts';

/** The simulated hybrid organization refuses a mailbox on the wrong side as Exchange Online and Exchange Server do. */
describe('simulated hybrid organization', () => {
  let sim: ExchangeSimulator;
  let graph: Client;
  let ews: EwsCalendarSource;
  let transport: EwsTransport;
  let homes: MailboxHomes;
  const ann = { userId: '1', email: 'ann@contoso.com' };

  before(async () => {
    sim = await startSim();
    const mounted = mountEws(sim, { accounts: [SERVICE_ACCOUNT] });
    homes = mountOrganization(sim);
    sim.mailboxes.addUser({ email: ann.email });
    homes.place(ann.email, 'exchangeServer');
    graph = graphClient(sim);
    transport = new EwsTransport({
      url: mounted.url,
      auth: 'ntlm',
      username: SERVICE_ACCOUNT.username,
      password: new Secret(SERVICE_ACCOUNT.password),
      ca: sim.caPem,
    });
    ews = new EwsCalendarSource(transport, { callbackUrl: null, sleep: async () => {} });
  });
  after(async () => {
    transport?.close();
    await sim?.stop();
  });

  const graphCode = async () => {
    try {
      // Graph keys users by id (or UPN), not by their address.
      await graph.api(`/users/${sim.mailboxes.user(ann.email).id}/mailboxSettings`).get();
      return 'answered';
    } catch (error) {
      return error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
    }
  };
  const ewsAnswer = async () => {
    const result = (await ews.readOutOfOffice([ann])).get(ann.userId);
    return result?.ok === true ? 'answered' : (result?.error.code ?? 'none');
  };

  it('Graph answers MailboxNotEnabledForRESTAPI for a mailbox on the Exchange Server, which EWS serves', async () => {
    assert.equal(await graphCode(), 'MailboxNotEnabledForRESTAPI');
    assert.equal(await ewsAnswer(), 'answered');
  });

  it('the control call moves it: Graph serves it, EWS answers ErrorNonExistentMailbox', async () => {
    const base = sim.graphBaseUrl.replace(/\/v1\.0$/, '');
    const move = (body: string, address = ann.email) =>
      fetch(`${base}/_organization/mailboxes/${address}/move`, { method: 'POST', body });
    assert.equal((await move('{"to":"the moon"}')).status, 400);
    assert.equal((await move('{"to":"exchangeOnline"}', 'nobody@contoso.com')).status, 400);
    assert.equal((await move('{"to":"exchangeOnline"}')).status, 204);
    assert.equal(await graphCode(), 'answered');
    assert.equal(await ewsAnswer(), 'exchange.mailbox_not_found');
  });
});
