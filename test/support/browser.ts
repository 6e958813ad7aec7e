import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, chromium } from 'playwright-core';
import { z } from 'zod';

/**
 * The one place that finds a Chromium for the browser tests: Debian's where it is installed,
 * otherwise the headless Chromium that ships inside the `@sparticuz/chromium` npm package, so a
 * machine with nothing but Node.js and `npm install` runs every browser test. There is no third
 * way and no skip: a browser that cannot start fails the test.
 */

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const PACKAGE = '@sparticuz/chromium';
const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps calling
 * Google's hosts, and those connections are refused here many at a time.
 */
const QUIET = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface FoundChromium {
  readonly executablePath: string;
  /** Where it came from, for failure messages. */
  readonly origin: string;
  readonly env: Readonly<Record<string, string>>;
  readonly args: readonly string[];
}

/** Debian's `chromium` when present, else the npm package's, unpacked once into node_modules/.cache. */
export async function findChromium(): Promise<FoundChromium> {
  if (existsSync(DEBIAN_CHROMIUM))
    return { executablePath: DEBIAN_CHROMIUM, origin: 'Debian', env: {}, args: [] };
  const dir = await unpackedPackageChromium();
  return {
    executablePath: join(dir, 'chromium'),
    origin: `${PACKAGE} in ${dir}`,
    // The package brings its own fonts (the machine may have none), with our fonts.conf.
    env: { FONTCONFIG_PATH: join(dir, 'fonts') },
    args: [],
  };
}

/** A persistent context in a fresh profile folder, headless, on whichever Chromium is found. */
export async function launchChromium(
  profileDir: string,
  options: { readonly viewport: { readonly width: number; readonly height: number } },
): Promise<BrowserContext> {
  const found = await findChromium();
  try {
    return await chromium.launchPersistentContext(profileDir, {
      executablePath: found.executablePath,
      viewport: options.viewport,
      env: { ...process.env, ...found.env },
      args: [...QUIET, ...found.args],
    });
  } catch (error) {
    throw new Error(`Chromium (${found.origin}) did not start`, { cause: error });
  }
}

const packageJson = z.object({ version: z.string() });

/**
 * The package unpacks into the system temp folder and trusts any file already there, so it is
 * run in a child process whose temp folder is a private staging folder, which is then renamed
 * into place: a run that stops half-way or a parallel run never leaves a broken browser behind.
 */
async function unpackedPackageChromium(): Promise<string> {
  const require = createRequire(join(ROOT, 'package.json'));
  let entry: string;
  try {
    entry = require.resolve(PACKAGE);
  } catch (error) {
    throw new Error(`no ${DEBIAN_CHROMIUM} and no ${PACKAGE}: run npm install`, { cause: error });
  }
  const manifest = join(dirname(entry), '..', 'package.json');
  const { version } = packageJson.parse(JSON.parse(await readFile(manifest, 'utf8')));
  const cache = join(ROOT, 'node_modules', '.cache');
  const target = join(cache, `sparticuz-chromium-${version}`);
  if (existsSync(join(target, 'chromium'))) return target;
  await mkdir(cache, { recursive: true });
  const staging = await mkdtemp(join(cache, `sparticuz-chromium-${version}-`));
  try {
    const script = `const { default: c } = await import(${JSON.stringify(entry)}); await c.executablePath();`;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: staging },
    });
    // The package's fonts.conf names the serverless folders (/tmp/fonts, ...); without a font,
    // Chromium stops at the first form field ("SkFontMgr_FontConfigInterface: Not implemented").
    await writeFile(join(staging, 'fonts', 'fonts.conf'), fontsConf(join(target, 'fonts')));
    await rename(staging, target).catch((error: unknown) => {
      // Another run put its copy there first: use that one.
      if (!existsSync(join(target, 'chromium'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

function fontsConf(fontsDir: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    `  <dir>${join(fontsDir, 'fonts')}</dir>`,
    `  <cachedir>${join(fontsDir, 'cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
}
