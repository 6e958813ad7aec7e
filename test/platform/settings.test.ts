import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadSettings, readLocalSettings } from '../../shared/config/load-settings.ts';
import {
  assembleSettings,
  SETTING_NAMES,
  SETTING_TABLE,
  settingValuesOf,
} from '../../shared/config/setting-table.ts';
import { AppError } from '../../shared/errors.ts';

const localFile = (values: Record<string, string>) => ({ IsEncrypted: false, Values: values });

function configError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'config.invalid');
    return error;
  }
  assert.fail('expected config.invalid');
}

describe('§7 configuration', () => {
  it('applies the defaults of SPEC §7 with no configuration at all', () => {
    const settings = loadSettings({});
    assert.equal(settings.calendarSource, 'graph');
    assert.equal(settings.integrationEnabled, true);
    assert.equal(settings.callbackUrl, null);
    assert.equal(settings.graph.baseUrl.href, 'https://graph.microsoft.com/');
    assert.equal(settings.graph.authorityHost.href, 'https://login.microsoftonline.com/');
    assert.equal(settings.ews.auth, 'ntlm');
    assert.equal(settings.scanWindowDays, 7);
    assert.equal(settings.scanSchedule.split(' ').length, 6);
    assert.deepEqual(settings.policy, { tentativeAs: 'Meeting', shareSubjects: true });
    assert.equal(settings.port, 7071);
    assert.equal(settings.storage.kind, 'connectionString');
    if (settings.storage.kind === 'connectionString') {
      assert.equal(settings.storage.connectionString.reveal(), 'UseDevelopmentStorage=true');
    }
    assert.ok(Object.isFrozen(settings));
    assert.ok(Object.isFrozen(settings.graph));
  });

  it('takes the environment over local.settings.json, and local.settings.json over defaults', () => {
    const settings = loadSettings(
      { CALENDAR_SOURCE: 'ews', SCAN_WINDOW_DAYS: '' },
      localFile({
        CALENDAR_SOURCE: 'graph',
        SCAN_WINDOW_DAYS: '14',
        TENTATIVE_AS: 'Available',
        PORT: '8080',
      }),
    );
    assert.equal(settings.calendarSource, 'ews');
    assert.equal(settings.scanWindowDays, 14);
    assert.equal(settings.policy.tentativeAs, 'Available');
    assert.equal(settings.port, 8080);
  });

  it('treats empty values (as the sample file ships its secrets) as unset', () => {
    const settings = loadSettings({}, localFile({ GRAPH_CLIENT_SECRET: '', ADMIN_API_KEY: '' }));
    assert.equal(settings.graph.clientSecret, null);
    assert.equal(settings.adminApiKey, null);
  });

  it('names every bad setting in one message and never its value', () => {
    const error = configError(() =>
      loadSettings(
        {
          CALENDAR_SOURCE: 'exchange-2003',
          CALLBACK_URL: 'not a url secret-callback',
          SCAN_WINDOW_DAYS: 'seven',
          PORT: '99999',
          SHARE_SUBJECTS: 'maybe',
        },
        localFile({ TENTATIVE_AS: 'Busy', SCAN_SCHEDULE: '@weekly', PHONELINK_URL: 'ftp://x' }),
      ),
    );
    for (const name of [
      'CALENDAR_SOURCE',
      'CALLBACK_URL',
      'SCAN_WINDOW_DAYS',
      'PORT',
      'SHARE_SUBJECTS',
      'TENTATIVE_AS',
      'SCAN_SCHEDULE',
      'PHONELINK_URL',
    ]) {
      assert.match(error.message, new RegExp(`^  ${name}: `, 'm'));
    }
    for (const value of [
      'exchange-2003',
      'secret-callback',
      'seven',
      '99999',
      'maybe',
      'Busy',
      '@weekly',
      'ftp',
    ]) {
      assert.ok(!error.message.includes(value), `message leaks ${value}`);
    }
  });

  it('reports required settings that are missing, by name', () => {
    const error = configError(() =>
      loadSettings({ PHONELINK_URL: 'http://pbx.example.com' }, undefined, {
        required: ['PHONELINK_URL', 'PHONELINK_API_KEY', 'CALLBACK_URL'],
      }),
    );
    assert.match(error.message, /PHONELINK_API_KEY: is required/);
    assert.match(error.message, /CALLBACK_URL: is required/);
    assert.doesNotMatch(error.message, /PHONELINK_URL:/);
  });

  it('keeps secrets out of inspection', () => {
    const settings = loadSettings({
      PHONELINK_API_KEY: 'pl-key-123',
      ADMIN_API_KEY: 'adm-456-0123456789abcdefghijklmnop',
    });
    const shown = inspect(settings, { depth: 10 }) + JSON.stringify(settings);
    assert.ok(!shown.includes('pl-key-123') && !shown.includes('adm-456'));
    assert.equal(settings.phonelink.apiKey?.reveal(), 'pl-key-123');
  });

  it('derives the EWS URL from EWS_SERVER, and EWS_URL wins', () => {
    assert.equal(
      loadSettings({ EWS_SERVER: 'mail.contoso.com' }).ews.url?.href,
      'https://mail.contoso.com/ews/exchange.asmx',
    );
    assert.equal(
      loadSettings({ EWS_SERVER: 'mail.contoso.com', EWS_URL: 'https://ex.contoso.com/EWS/Exchange.asmx' })
        .ews.url?.host,
      'ex.contoso.com',
    );
  });

  it('reads an identity-based storage connection (AzureWebJobsStorage__accountName)', () => {
    const settings = loadSettings({
      AzureWebJobsStorage__accountName: 'presencestore',
      AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
    assert.deepEqual(
      settings.storage.kind === 'identity' && {
        queue: settings.storage.queueServiceUri.href,
        table: settings.storage.tableServiceUri.href,
        clientId: settings.storage.clientId,
      },
      {
        queue: 'https://presencestore.queue.core.windows.net/',
        table: 'https://presencestore.table.core.windows.net/',
        clientId: '11111111-2222-3333-4444-555555555555',
      },
    );
    const error = configError(() => loadSettings({ AzureWebJobsStorage__accountName: 'Not_An_Account' }));
    assert.match(error.message, /AzureWebJobsStorage__accountName:/);
  });

  it('reads local.settings.json from a folder, and nothing when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'settings-'));
    try {
      assert.equal(readLocalSettings(dir), undefined);
      writeFileSync(join(dir, 'local.settings.json'), JSON.stringify(localFile({ PORT: '7999' })));
      assert.equal(loadSettings({}, readLocalSettings(dir)).port, 7999);
      writeFileSync(join(dir, 'local.settings.json'), '{"Values": {"ADMIN_API_KEY": "leak-me"');
      const error = configError(() => readLocalSettings(dir));
      assert.ok(!error.message.includes('leak-me'));
      assert.match(
        configError(() => loadSettings({}, { Values: 'nope' })).message,
        /local\.settings\.json: /,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const LONG_KEY = 'k'.repeat(32);

describe('§7 configuration: one table', () => {
  it('lists every setting of the table, and builds the same settings back from their values', () => {
    assert.deepEqual(SETTING_NAMES, Object.keys(SETTING_TABLE));
    const settings = loadSettings({
      CALENDAR_SOURCE: 'ews',
      EWS_SERVER: 'mail.contoso.com',
      EWS_PASSWORD: 'ews-password',
      PHONELINK_URL: 'https://pbx.contoso.com:21020',
      ADMIN_API_KEY: LONG_KEY,
      SCAN_SCHEDULE: '0 30 2 * * MON',
    });
    assert.deepEqual(assembleSettings(settingValuesOf(settings), settings.storage), settings);
  });
});

describe('§7 SCAN_SCHEDULE (issue 15.7)', () => {
  const cases: readonly [string, string, boolean][] = [
    ['the default, weekly', '0 0 3 * * 1', true],
    ['day names', '0 30 2 * * MON-FRI', true],
    ['hourly', '0 0 * * * *', true],
    ['every five minutes', '0 */5 * * * *', false],
    ['twice an hour', '0 0,30 * * * *', false],
    ['every second of one minute', '* 0 3 * * 1', false],
    ['an hour that does not exist', '0 0 25 * * *', false],
    ['a day that never comes', '0 0 3 31 2 *', false],
    ['five fields (no seconds)', '0 3 * * 1', false],
    ['a nickname', '@weekly', false],
  ];
  for (const [what, schedule, accepted] of cases) {
    it(`${accepted ? 'accepts' : 'refuses'} ${what}: ${schedule}`, () => {
      if (accepted) assert.equal(loadSettings({ SCAN_SCHEDULE: schedule }).scanSchedule, schedule);
      else
        assert.match(configError(() => loadSettings({ SCAN_SCHEDULE: schedule })).message, /SCAN_SCHEDULE: /);
    });
  }
});

describe('§7 keys long enough to guess at (issue 15.7)', () => {
  for (const name of ['ADMIN_API_KEY', 'PHONELINK_WEBHOOK_SECRET']) {
    it(`stops start-up when ${name} is shorter than 32 characters, naming it and not its value`, () => {
      const error = configError(() => loadSettings({ [name]: 'short-key-Rr81' }));
      assert.match(error.message, new RegExp(`^  ${name}: must be at least 32 characters$`, 'm'));
      assert.ok(!error.message.includes('short-key-Rr81'));
      assert.equal(loadSettings({ [name]: LONG_KEY }).adminApiKey?.reveal() ?? LONG_KEY, LONG_KEY);
    });
  }
});

describe('§7 URLs (issue 15.1)', () => {
  for (const name of ['PHONELINK_URL', 'EWS_URL', 'GRAPH_BASE_URL', 'CALLBACK_URL']) {
    it(`refuses ${name} with a user name or password in it, without showing them`, () => {
      const error = configError(() =>
        loadSettings({ [name]: 'https://operator:pw-in-url-Xy71@host.example.com/' }),
      );
      assert.match(error.message, new RegExp(`^  ${name}: must not carry a user name or password$`, 'm'));
      assert.ok(!error.message.includes('pw-in-url-Xy71') && !error.message.includes('operator'));
    });
  }
});

describe('§7 EWS basic authentication (issue 15.1)', () => {
  it('stops start-up when basic would send the password over http:', () => {
    const error = configError(() =>
      loadSettings({ EWS_URL: 'http://mail.contoso.com/EWS/Exchange.asmx', EWS_AUTH: 'basic' }),
    );
    assert.match(
      error.message,
      /^ {2}EWS_AUTH: basic sends the password readable: only over an https:\/\/ EWS URL$/m,
    );
    assert.equal(
      loadSettings({ EWS_URL: 'https://mail.contoso.com/EWS/Exchange.asmx', EWS_AUTH: 'basic' }).ews.auth,
      'basic',
    );
    assert.equal(loadSettings({ EWS_URL: 'http://mail.contoso.com/EWS/Exchange.asmx' }).ews.auth, 'ntlm');
  });
});
