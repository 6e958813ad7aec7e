// Bundles the functions app into dist/, the package `azd deploy` uploads (azure.yaml `dist: dist`):
//   dist/main.js        every functions/*.ts, then the telemetry start (one ESM file: fast cold start)
//   dist/chunks/*.js    what is loaded later on demand (Application Insights, only with a connection string)
//   dist/host.json, dist/package.json (main: main.js, no dependencies: nothing to install)
//   dist/page/          the admin page's HTML, CSS and script
// `node scripts/build.ts` (npm run build). Exits non-zero on an error.
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild, type Metafile, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BuildOptions {
  readonly outdir?: string;
  /** Leave @azure/functions to node_modules instead of bundling it (measured by the cold-start bench). */
  readonly externalFunctionsLibrary?: boolean;
  readonly minify?: boolean;
  readonly keepNames?: boolean;
}

export interface BuildResult {
  readonly outdir: string;
  readonly functions: readonly string[];
  readonly metafile: Metafile;
}

/** The entry: every function file (each registers itself), then telemetry before the first invocation. */
export function entrySource(functionFiles: readonly string[]): string {
  const imports = functionFiles.map((file) => `import ${JSON.stringify(`./functions/${file}`)};`);
  return [
    ...imports,
    "import { startTelemetry } from './shared/telemetry/start-telemetry.ts';",
    // Top-level await: the worker waits for the entry module, so the first invocation is traced.
    'await startTelemetry();',
    '',
  ].join('\n');
}

/**
 * zod re-exports every locale as a namespace (`z.locales`), which defeats tree shaking: ~250 KiB
 * of error messages in 40 languages, a sixth of main.js. The app uses zod's default (English)
 * messages only, so the bundle gets an index with English alone.
 */
const englishOnlyZodLocales: Plugin = {
  name: 'english-only-zod-locales',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }));
  },
};

export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const outdir = options.outdir ?? join(root, 'dist');
  const functions = readdirSync(join(root, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .sort();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild({
    stdin: { contents: entrySource(functions), resolveDir: root, sourcefile: 'main.ts', loader: 'ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outdir,
    entryNames: 'main',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    minify: options.minify ?? true,
    // Names cost ~10% of load time; stack traces are mapped back through the source maps.
    keepNames: options.keepNames ?? false,
    sourcesContent: false,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
    plugins: [englishOnlyZodLocales],
    // Libraries that ship a development and a production build pick the production one.
    define: { 'process.env.NODE_ENV': '"production"' },
    // The worker provides @azure/functions-core; it is no npm package.
    external: ['@azure/functions-core', ...(options.externalFunctionsLibrary ? ['@azure/functions'] : [])],
    // CommonJS dependencies inside an ES module still call require() and read __dirname.
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module';",
        "import { fileURLToPath as __fileURLToPath } from 'node:url';",
        "import { dirname as __pathDirname } from 'node:path';",
        'const require = __createRequire(import.meta.url);',
        'const __filename = __fileURLToPath(import.meta.url);',
        'const __dirname = __pathDirname(__filename);',
      ].join('\n'),
    },
  });
  copyFileSync(join(root, 'host.json'), join(outdir, 'host.json'));
  // The admin page's HTML, CSS and script, read beside the module that serves them (main.js).
  cpSync(join(root, 'shared/admin/page'), join(outdir, 'page'), { recursive: true });
  const project: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const version =
    typeof project === 'object' && project !== null && 'version' in project
      ? String(project.version)
      : '0.0.0';
  writeFileSync(
    join(outdir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'phonelink-calendar-presence',
        version,
        private: true,
        type: 'module',
        main: 'main.js',
        engines: { node: '>=22' },
        ...(options.externalFunctionsLibrary ? { dependencies: { '@azure/functions': '^4' } } : {}),
      },
      null,
      2,
    )}\n`,
  );
  return { outdir, functions, metafile: result.metafile };
}

/** Bytes of the files under `dir`, without source maps (what loads) and with them (what ships). */
export function packageSize(dir: string): { readonly code: number; readonly total: number } {
  let code = 0;
  let total = 0;
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full);
      else {
        total += stat.size;
        if (!name.endsWith('.map') && !name.endsWith('.LEGAL.txt')) code += stat.size;
      }
    }
  };
  walk(dir);
  return { code, total };
}

if (import.meta.main) {
  const started = performance.now();
  const { outdir, functions } = await build();
  const size = packageSize(outdir);
  console.log(
    `built ${relative(root, outdir)}/ with ${functions.length} functions in ${Math.round(performance.now() - started)} ms: ` +
      `${(size.code / 1024).toFixed(0)} KiB code, ${(size.total / 1024).toFixed(0)} KiB with source maps`,
  );
}
