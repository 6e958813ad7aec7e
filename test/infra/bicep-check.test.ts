import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { BICEP_VERSION, packageFor, restoreProject } from '../../scripts/bicep-cli.ts';
import { findings } from '../../scripts/check-bicep.ts';

const bicepConfig = z.object({
  analyzers: z.object({ core: z.object({ rules: z.record(z.string(), z.object({ level: z.string() })) }) }),
});
const main = new URL('../../infra/main.bicep', import.meta.url);

describe('§8 Bicep compiled and linted by the real CLI (npm run check)', () => {
  it('reports each linter result with its file, line and rule', () => {
    const report = {
      runs: [
        {
          results: [
            {
              ruleId: 'no-unused-vars',
              message: { text: 'Variable "x" is declared but never used.' },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: pathToFileURL(main.pathname).href },
                    region: { startLine: 12, charOffset: 5 },
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    assert.deepEqual(findings(report), [
      'infra/main.bicep:12:5 no-unused-vars: Variable "x" is declared but never used.',
    ]);
    assert.deepEqual(findings({ runs: [{ results: [] }] }), []);
  });

  it('refuses a report that is not SARIF rather than calling it clean', () => {
    assert.throws(() => findings({ runs: [{ findings: [] }] }));
  });

  it('restores the CLI package of this platform by a download-only project', () => {
    assert.equal(packageFor('linux', 'x64'), 'Azure.Bicep.CommandLine.linux-x64');
    assert.equal(packageFor('darwin', 'arm64'), 'Azure.Bicep.CommandLine.osx-arm64');
    assert.equal(packageFor('aix', 'ppc64'), null);
    const project = restoreProject('Azure.Bicep.CommandLine.linux-x64', BICEP_VERSION);
    assert.match(
      project,
      /<PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="\[0\.49\.\d+\]" \/>/,
    );
  });

  it('sets every linter rule it names to error, so a warning fails the check', () => {
    const config = bicepConfig.parse(
      JSON.parse(readFileSync(new URL('../../infra/bicepconfig.json', import.meta.url), 'utf8')),
    );
    const rules = Object.entries(config.analyzers.core.rules);
    // Off: its verdict depends on today's date, so a clean commit would fail later unchanged.
    const off = rules.filter(([, rule]) => rule.level !== 'error').map(([name]) => name);
    assert.deepEqual(off, ['use-recent-api-versions']);
    assert.ok(rules.length > 30);
  });
});
