import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startFunctionsHost } from '../../dev/host/functions-host.ts';
import { defineHttp } from '../../shared/runtime/define-function.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'host-functions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const answer = (name: string) =>
  defineHttp({ name, route: name, methods: ['GET'], handler: async () => ({ body: name }) });
const defined = [answer('alpha'), answer('beta')];

function hostJson(content: object): string {
  const path = join(dir, `host-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ version: '2.0', ...content }));
  return path;
}

async function served(hostJsonPath: string, env: Record<string, string> = {}): Promise<string[]> {
  const host = await startFunctionsHost({
    port: 0,
    functions: defined,
    hostJsonPath,
    settingsDir: fixtures,
    env,
    print: () => undefined,
  });
  try {
    const statuses = await Promise.all(
      defined.map(async (fn) => [fn.name, (await fetch(`${host.url}/api/${fn.name}`)).status] as const),
    );
    return statuses.filter(([, status]) => status === 200).map(([name]) => name);
  } finally {
    await host.stop();
  }
}

describe('§2 local functions host: the functions host.json names', () => {
  it('serves every function when host.json names none', async () => {
    assert.deepEqual(await served(hostJson({})), ['alpha', 'beta']);
  });

  it('serves only the functions in host.json `functions`, names ignoring case', async () => {
    assert.deepEqual(await served(hostJson({ functions: ['Beta'] })), ['beta']);
  });

  it('takes AzureFunctionsJobHost__functions__<n> app settings over host.json, as Azure does', async () => {
    const path = hostJson({ functions: ['beta'] });
    assert.deepEqual(await served(path, { AzureFunctionsJobHost__functions__0: 'alpha' }), ['alpha']);
  });

  it('stops start-up naming a function that is not defined, with nothing left listening', async () => {
    await assert.rejects(
      served(hostJson({}), {
        AzureFunctionsJobHost__functions__0: 'alpha',
        AzureFunctionsJobHost__functions__1: 'gamma',
      }),
      (error: Error) => {
        assert.match(error.message, /"gamma", which is not defined; defined: alpha, beta/);
        return true;
      },
    );
    assert.equal(process.env.AzureFunctionsJobHost__functions__0, undefined, 'the environment is restored');
  });
});
