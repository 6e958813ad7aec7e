// `npm run check`, last step: infra/main.bicep compiled (`bicep build`) and linted (`bicep lint`)
// by the real Bicep CLI. infra/bicepconfig.json sets the linter's rules to error, and any
// diagnostic at all, warnings included, fails the check. Without a CLI it says how to get one,
// and fails under CI=true (CI always has one: it restores it from NuGet).
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { type BicepCli, findBicepCli, HOW_TO_GET_BICEP, TOOLS_DIR } from './bicep-cli.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(root, 'infra', 'main.bicep');

const sarif = z.object({
  runs: z.array(
    z.object({
      results: z.array(
        z.object({
          ruleId: z.string(),
          level: z.string().optional(),
          message: z.object({ text: z.string() }),
          locations: z
            .array(
              z.object({
                physicalLocation: z.object({
                  artifactLocation: z.object({ uri: z.string() }),
                  region: z.object({ startLine: z.number(), charOffset: z.number().optional() }).optional(),
                }),
              }),
            )
            .optional(),
        }),
      ),
    }),
  ),
});

export type Finding = string;

/** Every SARIF result as one line: `infra/x.bicep:12:3 rule-id: message`. */
export function findings(report: unknown): Finding[] {
  return sarif.parse(report).runs.flatMap((r) =>
    r.results.map((result) => {
      const where = result.locations?.[0]?.physicalLocation;
      const file = where === undefined ? '?' : relative(root, fileURLToPath(where.artifactLocation.uri));
      const line =
        where?.region === undefined ? '' : `:${where.region.startLine}:${where.region.charOffset ?? 0}`;
      return `${file}${line} ${result.ruleId}: ${result.message.text}`;
    }),
  );
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(cli: BicepCli, args: readonly string[]): Promise<Ran> {
  const full = cli.kind === 'az' ? ['bicep', ...args] : args;
  return new Promise((resolve) => {
    execFile(cli.command, full, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `bicep lint` (SARIF) and `bicep build`; returns what they found, empty when clean. */
export async function checkBicep(cli: BicepCli, file: string): Promise<Finding[]> {
  const fileArgs = cli.kind === 'az' ? ['--file', file] : [file];
  const lint = await runCli(cli, ['lint', ...fileArgs, '--diagnostics-format', 'sarif']);
  const found: Finding[] = [];
  try {
    found.push(...findings(JSON.parse(lint.stdout)));
  } catch (error) {
    found.push(
      `bicep lint printed no SARIF report (exit ${lint.code}): ${lint.stderr.trim()}`,
      String(error),
    );
  }
  if (lint.code !== 0 && found.length === 0)
    found.push(`bicep lint exited ${lint.code}: ${lint.stderr.trim()}`);
  await mkdir(join(TOOLS_DIR, 'out'), { recursive: true });
  const outfile = join(TOOLS_DIR, 'out', 'main.json');
  const build = await runCli(cli, ['build', ...fileArgs, '--outfile', outfile]);
  // The build repeats the linter's diagnostics on stderr: quoted only when the linter found none.
  const said = build.stderr.trim();
  if (found.length === 0 && (build.code !== 0 || said !== ''))
    found.push(`bicep build (exit ${build.code}): ${said}`);
  else if (build.code !== 0) found.push(`bicep build failed too (exit ${build.code})`);
  return found;
}

async function main(): Promise<number> {
  const cli = await findBicepCli();
  if (cli.kind === 'none') {
    const ci = process.env.CI === 'true';
    console.error(`Bicep: no CLI, infra/ not compiled.\n${cli.tried.map((t) => `  ${t}`).join('\n')}`);
    console.error(HOW_TO_GET_BICEP);
    return ci ? 1 : 0;
  }
  console.log(`Bicep: ${cli.versionLine} (${cli.origin})`);
  const found = await checkBicep(cli, MAIN);
  if (found.length > 0) {
    console.error(`Bicep: ${found.length} finding(s) in infra/ (warnings count as errors):`);
    for (const line of found) console.error(`  ${line}`);
    return 1;
  }
  console.log('Bicep: infra/main.bicep builds and lints clean (every rule at error).');
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main();
