import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NODE_WORKER_ARGUMENTS } from '../../dev/host/node-worker-arguments.ts';
import { parseBicep, stripComments } from './bicep-reader.ts';
import { appSettingEntries, checkTemplates, readTemplates } from './template-checks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const copies: string[] = [];
after(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of infra/ and azure.yaml with one file edited, to show each check bites. */
function brokenCopy(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'infra-'));
  copies.push(dir);
  cpSync(join(root, 'infra'), join(dir, 'infra'), { recursive: true });
  cpSync(join(root, 'azure.yaml'), join(dir, 'azure.yaml'));
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const text = edit(before);
  assert.notEqual(text, before, `the edit of ${file} changed nothing`);
  writeFileSync(path, text);
  return dir;
}

const breakages: ReadonlyArray<{
  readonly what: string;
  readonly file: string;
  readonly edit: (text: string) => string;
  readonly problem: RegExp;
}> = [
  {
    what: 'storage shared keys enabled',
    file: 'infra/core/storage.bicep',
    edit: (t) => t.replace('allowSharedKeyAccess: false', 'allowSharedKeyAccess: true'),
    problem: /allowSharedKeyAccess/,
  },
  {
    what: 'a SPEC §7 app setting dropped',
    file: 'infra/main.bicep',
    edit: (t) => t.replace(/^\s*SCAN_WINDOW_DAYS:.*\n/m, ''),
    problem: /app setting SCAN_WINDOW_DAYS is missing/,
  },
  {
    what: 'a SPEC §7 parameter dropped',
    file: 'infra/main.bicep',
    edit: (t) => t.replace(/^param tentativeAs .*\n/m, '').replaceAll('tentativeAs', "'Meeting'"),
    problem: /no parameter tentativeAs/,
  },
  {
    what: 'the identity-based storage connection dropped',
    file: 'infra/app/function-app.bicep',
    edit: (t) => t.replace(/^\s*AzureWebJobsStorage__credential:.*\n/m, ''),
    problem: /AzureWebJobsStorage__credential/,
  },
  {
    what: 'a secret parameter not @secure()',
    file: 'infra/main.bicep',
    edit: (t) => t.replace(/@secure\(\)\nparam ewsPassword/, 'param ewsPassword'),
    problem: /ewsPassword must be @secure\(\)/,
  },
  {
    what: 'a secret put in an app setting as plain text',
    file: 'infra/main.bicep',
    edit: (t) => t.replace(/PHONELINK_API_KEY: .*$/m, 'PHONELINK_API_KEY: phonelinkApiKey'),
    problem: /PHONELINK_API_KEY must be a Key Vault reference/,
  },
  {
    what: 'the postprovision grant of Graph permissions dropped',
    file: 'azure.yaml',
    edit: (t) => t.replaceAll(/^\s+run: npm run --silent grant-graph-permissions\n/gm, ''),
    problem: /the Graph permission grant after provisioning/,
  },
  {
    what: 'a secret output',
    file: 'infra/main.bicep',
    edit: (t) => `${t}output ADMIN string = adminApiKey\n`,
    problem: /exposes secure parameter adminApiKey/,
  },
  {
    what: 'a connection string output from a module',
    file: 'infra/core/monitoring.bicep',
    edit: (t) => `${t}output cs string = applicationInsights.properties.ConnectionString\n`,
    problem: /exposes a connection string/,
  },
  {
    what: 'a storage key literal',
    file: 'infra/main.bicep',
    edit: (t) =>
      t.replace(
        'AZURE_KEY_VAULT_ENDPOINT: keyVault.outputs.uri',
        "AZURE_KEY_VAULT_ENDPOINT: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc'",
      ),
    problem: /a literal holds a storage account key/,
  },
  {
    what: 'listKeys used to build a connection string',
    file: 'infra/app/function-app.bicep',
    edit: (t) => `${t}var leaked = listKeys('x', '2023-05-01').keys[0].value\n`,
    problem: /listKeys/,
  },
  {
    what: 'a runtime setting Flex Consumption rejects',
    file: 'infra/main.bicep',
    edit: (t) =>
      t.replace(
        'CALENDAR_SOURCE: calendarSource',
        "CALENDAR_SOURCE: calendarSource\n  FUNCTIONS_WORKER_RUNTIME: 'node'",
      ),
    problem: /FUNCTIONS_WORKER_RUNTIME must not be set/,
  },
  {
    what: 'Node 20 instead of 22',
    file: 'infra/app/function-app.bicep',
    edit: (t) => t.replace("version: '22'", "version: '20'"),
    problem: /runtime must be node '22'/,
  },
  {
    what: 'a missing role assignment',
    file: 'infra/core/role-assignments.bicep',
    edit: (t) => t.replace(/monitoringMetricsPublisher: '[^']+'/, "monitoringMetricsPublisher: ''"),
    problem: /Monitoring Metrics Publisher/,
  },
  {
    what: 'a table the app uses left out',
    file: 'infra/main.bicep',
    edit: (t) => t.replace("'adminlog'", "'log'"),
    problem: /table adminlog is not created/,
  },
  {
    what: 'a module pointing nowhere',
    file: 'infra/main.bicep',
    edit: (t) => t.replace("'core/identity.bicep'", "'core/identities.bicep'"),
    problem: /missing core\/identities\.bicep/,
  },
  {
    what: 'a secret written into main.parameters.json',
    file: 'infra/main.parameters.json',
    edit: (t) => t.replace(`"$\{PHONELINK_API_KEY}"`, '"pl-live-key-123"'),
    problem: /secure parameter phonelinkApiKey a literal/,
  },
  {
    what: 'azure.yaml deploying the unbundled project',
    file: 'azure.yaml',
    edit: (t) => t.replace(/^\s+dist: dist\n/m, ''),
    problem: /azure\.yaml lacks dist: dist/,
  },
];

describe('§8 Bicep templates for azd up', () => {
  it('hold every setting the app reads, no secret, and identity-only storage', () => {
    assert.deepEqual(checkTemplates(root), []);
  });

  for (const broken of breakages) {
    it(`fail with ${broken.what}`, () => {
      const problems = checkTemplates(brokenCopy(broken.file, broken.edit));
      assert.ok(
        problems.some((p) => broken.problem.test(p)),
        `expected ${broken.problem} among:\n${problems.join('\n')}`,
      );
    });
  }
});

describe('§8 Node.js worker arguments', () => {
  it('are in the Function App settings as the bench starts its hosts with them', () => {
    const settings = appSettingEntries(readTemplates(root));
    assert.equal(settings.get('languageWorkers__node__arguments'), `'${NODE_WORKER_ARGUMENTS}'`);
  });
});

describe('§8 Bicep reader', () => {
  it('strips comments but not comment-like text inside strings', () => {
    const code = stripComments("var a = 'https://x' // gone\n/* gone\ntoo */ var b = '/* kept */'\n");
    assert.equal(code, "var a = 'https://x' \n\n var b = '/* kept */'\n");
  });

  it('reads declarations with their decorators and multi-line bodies', () => {
    const file = parseBicep(
      'x.bicep',
      "@secure()\n@description('a\n  b')\nparam key string\n\nvar o = {\n  A: 'x'\n}\noutput n string = o.A\n",
    );
    assert.deepEqual(
      file.declarations.map((d) => [d.kind, d.name, d.decorators.length]),
      [
        ['param', 'key', 2],
        ['var', 'o', 0],
        ['output', 'n', 0],
      ],
    );
    assert.match(file.declarations[1]?.body ?? '', /A: 'x'/);
  });

  it('does not take a commented-out secret output for a real one', () => {
    const dir = brokenCopy('infra/main.bicep', (t) => `${t}// output ADMIN string = adminApiKey\n`);
    assert.deepEqual(checkTemplates(dir), []);
  });
});
