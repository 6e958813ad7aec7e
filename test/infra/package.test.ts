import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type BuildResult, build } from '../../scripts/build.ts';
import { type IngestionCollector, startIngestionCollector } from '../telemetry/ingestion-collector.ts';

/** The package `azd deploy` uploads: built into a scratch directory, then read and loaded. */
const outdir = mkdtempSync(join(tmpdir(), 'dist-'));
let result: BuildResult;

describe('§8 deployable package (npm run build)', () => {
  before(async () => {
    result = await build({ outdir });
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('holds main.js, host.json and a package.json whose main is main.js', () => {
    const manifest: unknown = JSON.parse(readFileSync(join(outdir, 'package.json'), 'utf8'));
    assert.ok(typeof manifest === 'object' && manifest !== null && 'main' in manifest);
    assert.equal(manifest.main, 'main.js');
    assert.ok(existsSync(join(outdir, 'main.js')));
    assert.ok(existsSync(join(outdir, 'main.js.map')));
    assert.deepEqual(
      JSON.parse(readFileSync(join(outdir, 'host.json'), 'utf8')),
      JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')),
    );
    assert.ok(result.functions.length > 0);
  });

  it('needs no node_modules: it imports only Node built-ins and the worker-provided @azure/functions-core', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const external = Object.values(result.metafile.outputs)
      .flatMap((output) => output.imports)
      .filter((i) => i.external && !builtins.has(i.path))
      .map((i) => i.path);
    assert.deepEqual([...new Set(external)], ['@azure/functions-core']);
  });

  it('loads in a fresh Node process without a connection string and without telemetry', async () => {
    const script = `await import(${JSON.stringify(pathToFileURL(join(outdir, 'main.js')).href)}); console.log('loaded');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '' },
    });
    assert.match(stdout, /loaded/);
  });
});

describe('§8 deployable package with APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
  const bundleDir = mkdtempSync(join(tmpdir(), 'dist-'));
  let collector: IngestionCollector;
  before(async () => {
    await build({ outdir: bundleDir });
    collector = await startIngestionCollector();
  });
  after(async () => {
    await collector.close();
    rmSync(bundleDir, { recursive: true, force: true });
  });

  it('starts the bundled Application Insights chunk and sends a call made with fetch as a dependency', async () => {
    const script = [
      `await import(${JSON.stringify(pathToFileURL(join(bundleDir, 'main.js')).href)});`,
      `await fetch(${JSON.stringify(`${collector.url}probe/from-the-bundle`)});`,
      // No exit: the process ends when it runs out of work, and telemetry flushes before that.
    ].join('\n');
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: collector.caPath,
        APPLICATIONINSIGHTS_CONNECTION_STRING: collector.connectionString(),
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
        HTTPS_PROXY: `http://127.0.0.1:${collector.port}`,
        NO_PROXY: '127.0.0.1,localhost',
      },
    });
    const probe = collector.envelopes.find((e) =>
      String(e.data?.baseData?.data ?? '').includes('/probe/from-the-bundle'),
    );
    assert.ok(probe, `no dependency among ${collector.envelopes.map((e) => e.name).join(', ')}`);
  });
});
