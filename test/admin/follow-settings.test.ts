import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningAzurite, startAzurite } from '../../dev/azurite.ts';
import { type FollowedServices, RuntimeSettingsFollower } from '../../shared/app/follow-runtime-settings.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import { Secret } from '../../shared/config/secret.ts';
import type { Settings } from '../../shared/config/settings.ts';
import { createStorageClients } from '../../shared/storage/storage-clients.ts';
import { Table } from '../../shared/storage/table.ts';
import { TableRuntimeSettingsStore } from '../../shared/storage/table-runtime-settings-store.ts';
import { createFileSecretVault } from '../../shared/vault/file-secret-vault.ts';

describe('§5 settings written on the admin page reach the running services', () => {
  let azurite: RunningAzurite;
  let dir: string;
  let services: FollowedServices;
  const startup: Settings = loadSettings({
    CALLBACK_URL: 'https://a.example.com',
    PHONELINK_API_KEY: 'old-key',
  });

  before(async () => {
    azurite = await startAzurite();
    dir = await mkdtemp(join(tmpdir(), 'follow-'));
    const clients = createStorageClients({
      kind: 'connectionString',
      connectionString: new Secret(azurite.connectionString),
    });
    services = {
      settings: startup,
      runtimeSettings: new TableRuntimeSettingsStore(new Table(clients.table('runtimesettings'))),
      secretVault: createFileSecretVault(join(dir, 'secrets.json')),
    };
  });
  after(async () => {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rebuilds with a changed setting or secret, at most once per interval unless told to look now', async () => {
    let now = 1_000_000;
    const follower = new RuntimeSettingsFollower<FollowedServices>(
      startup,
      (settings, current) => ({ ...current, settings }),
      () => now,
    );
    const rebuilt: Settings[] = [];
    const replace = (next: FollowedServices) => rebuilt.push(next.settings);

    await follower.follow(services, replace);
    assert.equal(rebuilt.length, 0, 'nothing changed yet');

    await services.runtimeSettings.put({ CALLBACK_URL: 'https://b.example.com' });
    await services.secretVault.set('PHONELINK_API_KEY', new Secret('new-key'));
    assert.equal(follower.follow(services, replace), null, 'not due yet');
    follower.followSoon();
    await follower.follow(services, replace);
    assert.equal(rebuilt.length, 1);
    assert.equal(rebuilt[0]?.callbackUrl?.href, 'https://b.example.com/');
    assert.equal(rebuilt[0]?.phonelink.apiKey?.reveal(), 'new-key');

    now += 31_000;
    await follower.follow({ ...services, settings: rebuilt[0] ?? startup }, replace);
    assert.equal(rebuilt.length, 1, 'the same settings are not rebuilt again');
  });
});
