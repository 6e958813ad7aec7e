import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trustLocalCa } from '../../dev/exchange-sim/trust.ts';
import { createCalendarSource } from '../../shared/calendar/create-calendar-source.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { type EwsWorld, MemoryLog, SERVICE_ACCOUNT, startEwsWorld } from './ews-fixture.ts';

/** SPEC §7 → the EWS adapter, as the composition root builds it. */
describe('§7 EWS settings', () => {
  let world: EwsWorld;
  before(async () => {
    world = await startEwsWorld();
    trustLocalCa(world.exchange.caPem);
  });
  after(async () => {
    await world.stop();
  });

  const base = {
    CALENDAR_SOURCE: 'ews',
    EWS_USERNAME: SERVICE_ACCOUNT.username,
    EWS_PASSWORD: SERVICE_ACCOUNT.password,
    CALLBACK_URL: 'https://presence.contoso.com',
  };

  it('derives https://SERVER/ews/exchange.asmx from EWS_SERVER and connects with NTLM by default', async () => {
    const settings = loadSettings({ ...base, EWS_SERVER: world.url.host }, undefined);
    const log = new MemoryLog();
    await createCalendarSource(settings).connect(log);
    assert.deepEqual(log.text(), [
      'Starting EWS',
      `Using EWS URL: https://${world.url.host}/ews/exchange.asmx`,
      'Connected to EWS Microsoft Exchange(v15.02.1544.0004)',
    ]);
  });

  it('takes EWS_URL and EWS_AUTH=basic', async () => {
    const settings = loadSettings({ ...base, EWS_URL: world.url.href, EWS_AUTH: 'basic' }, undefined);
    const before = world.sim.requests.length;
    await createCalendarSource(settings).connect(new MemoryLog());
    assert.equal(world.sim.requests.slice(before).at(-1)?.scheme, 'basic');
  });

  it('logs one readable line, without the password, when the service account is refused', async () => {
    const settings = loadSettings(
      { ...base, EWS_URL: world.url.href, EWS_PASSWORD: 'not-the-password' },
      undefined,
    );
    const log = new MemoryLog();
    await assert.rejects(createCalendarSource(settings).connect(log), { code: 'exchange.unauthorized' });
    const last = log.lines.at(-1);
    assert.equal(last?.level, 'error');
    assert.match(
      last?.line ?? '',
      /^Could not connect to EWS: EWS refused the service account CONTOSO\\svc-presence/,
    );
    assert.doesNotMatch(log.text().join('\n'), /not-the-password/);
  });
});
