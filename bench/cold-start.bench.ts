// Cold start of the functions app (issue target: module load ≤ 300 ms bundled, median): a fresh
// Node process imports every function, unbundled (TypeScript sources, type stripping) against
// the esbuild bundle that is deployed, with @azure/functions bundled or left to node_modules, and
// with Application Insights started (as in Azure). Also the deployed package's size.
// Exits 1 when the bundled load misses its target.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, packageSize } from '../scripts/build.ts';

const RUNS = 7;
const TARGET_MS = 300;
const root = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  readonly importMs: number;
  readonly processMs: number;
}

/** One fresh process: the time its imports take, and its whole life (Node's own start included). */
function measure(imports: readonly string[], env: Record<string, string> = {}): Sample {
  const script = [
    'const started = performance.now();',
    ...imports.map((url) => `await import(${JSON.stringify(url)});`),
    'console.log(JSON.stringify({ importMs: performance.now() - started }));',
    'process.exit(0);',
  ].join('\n');
  const before = performance.now();
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    // Outside the Functions host @azure/functions warns that it skips registration: not our concern here.
    stdio: ['ignore', 'pipe', 'ignore'],
    encoding: 'utf8',
  });
  const processMs = performance.now() - before;
  const line = stdout.trim().split('\n').at(-1) ?? '{}';
  const parsed: unknown = JSON.parse(line);
  const importMs =
    typeof parsed === 'object' &&
    parsed !== null &&
    'importMs' in parsed &&
    typeof parsed.importMs === 'number'
      ? parsed.importMs
      : Number.NaN;
  return { importMs, processMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

interface Variant {
  readonly name: string;
  readonly imports: readonly string[];
  readonly env?: Record<string, string>;
  readonly note: string;
}

/** Rounds that run every variant once, so that a busy moment of the machine hits them all alike. */
function measureAll(variants: readonly Variant[]): Array<{ importMs: number; processMs: number }> {
  for (const v of variants) measure(v.imports, v.env); // warm the file cache, as a redeployed instance has it
  const samples = variants.map((): Sample[] => []);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, v] of variants.entries()) samples[i]?.push(measure(v.imports, v.env));
  }
  return samples.map((s) => ({
    importMs: median(s.map((x) => x.importMs)),
    processMs: median(s.map((x) => x.processMs)),
  }));
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

const functionFiles = readdirSync(join(root, 'functions'))
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => pathToFileURL(join(root, 'functions', f)).href);

const bundled = await build();
const external = await build({
  outdir: join(root, 'node_modules', '.cache', 'cold-start-bench', 'external'),
  externalFunctionsLibrary: true,
});
const bundledMain = pathToFileURL(join(bundled.outdir, 'main.js')).href;
const externalMain = pathToFileURL(join(external.outdir, 'main.js')).href;
// Telemetry as in Azure, sent nowhere: every endpoint is a closed local port.
const telemetryEnv = {
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://127.0.0.1:9/;LiveEndpoint=https://127.0.0.1:9/',
  APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};

const variants: readonly Variant[] = [
  { name: 'unbundled (TypeScript sources)', imports: functionFiles, note: '' },
  {
    name: 'bundled, @azure/functions bundled (deployed)',
    imports: [bundledMain],
    note: `target ≤ ${TARGET_MS} ms`,
  },
  { name: 'bundled, @azure/functions external', imports: [externalMain], note: '' },
  {
    name: 'bundled + Application Insights started',
    imports: [bundledMain],
    env: telemetryEnv,
    note: 'as in Azure',
  },
];
const figures = measureAll(variants);
const rows = variants.map(
  (v, i) => [v.name, figures[i] ?? { importMs: Number.NaN, processMs: Number.NaN }, v.note] as const,
);

console.log(`cold start: ${functionFiles.length} functions, median of ${RUNS} fresh processes each`);
console.log('  variant                                          module load   process (incl. Node start)');
for (const [name, figures, note] of rows) {
  console.log(
    `  ${name.padEnd(48)} ${`${figures.importMs.toFixed(0)} ms`.padStart(11)}   ${`${figures.processMs.toFixed(0)} ms`.padStart(10)}   ${note}`,
  );
}

const size = packageSize(bundled.outdir);
const main = readFileSync(join(bundled.outdir, 'main.js'));
const chunks = readdirSync(join(bundled.outdir, 'chunks')).filter((f) => f.endsWith('.js'));
const gzipped = [main, ...chunks.map((f) => readFileSync(join(bundled.outdir, 'chunks', f)))].reduce(
  (sum, bytes) => sum + gzipSync(bytes).length,
  0,
);
console.log(
  `package dist/: main.js ${kib(main.length)}, ${chunks.length} lazy chunks, code ${kib(size.code)} ` +
    `(≈ ${kib(gzipped)} compressed), ${kib(size.total)} with source maps`,
);
const biggest = Object.entries(
  bundled.metafile.outputs[Object.keys(bundled.metafile.outputs).find((o) => o.endsWith('main.js')) ?? '']
    ?.inputs ?? {},
)
  .map(([path, input]) => [path.replace(/^.*node_modules\//, ''), input.bytesInOutput] as const)
  .reduce((acc, [path, bytes]) => {
    const pkg = path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : (path.split('/')[0] ?? path);
    acc.set(pkg, (acc.get(pkg) ?? 0) + bytes);
    return acc;
  }, new Map<string, number>());
console.log(
  `main.js by package: ${[...biggest.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([pkg, bytes]) => `${pkg} ${kib(bytes)}`)
    .join(', ')}`,
);

const deployed = rows[1]?.[1].importMs ?? Number.NaN;
if (!(deployed <= TARGET_MS)) {
  console.error(`MISS: bundled module load ${deployed.toFixed(0)} ms > ${TARGET_MS} ms`);
  process.exit(1);
}
