// Finds the official Bicep CLI: `bicep` on PATH, else `az bicep`, else the copy restored from the
// NuGet package Azure.Bicep.CommandLine.<platform> into .tools/bicep/ (git-ignored) with `dotnet`.
// The project stays TypeScript: .NET is only how the CLI arrives.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The CLI version restored from NuGet; a `bicep` or `az bicep` already installed is used as it is. */
export const BICEP_VERSION = '0.49.2';

const root = fileURLToPath(new URL('..', import.meta.url));
export const TOOLS_DIR = join(root, '.tools', 'bicep');
const run = promisify(execFile);

export interface BicepCli {
  /** `bicep` (standalone) or `az` (`az bicep ...`, which spells its options differently). */
  readonly kind: 'bicep' | 'az';
  readonly command: string;
  /** What `--version` printed, e.g. "Bicep CLI version 0.49.2 (b34271ac51)". */
  readonly versionLine: string;
  readonly origin: string;
}

export interface NoBicepCli {
  readonly kind: 'none';
  /** What was tried and why each failed. */
  readonly tried: readonly string[];
}

/** Where to get the CLI, for the message `check` prints when there is none. */
export const HOW_TO_GET_BICEP = [
  'Install one of:',
  '  - the .NET SDK (`dotnet`): `npm run check` then restores the Bicep CLI from NuGet by itself;',
  '  - the Bicep CLI on PATH as `bicep` (https://aka.ms/bicep/install);',
  '  - the Azure CLI with `az bicep install`.',
].join('\n');

const DOTNET_ENV = {
  ...process.env,
  DOTNET_CLI_TELEMETRY_OPTOUT: '1',
  DOTNET_NOLOGO: '1',
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
};

export async function findBicepCli(): Promise<BicepCli | NoBicepCli> {
  const tried: string[] = [];
  const onPath = await versionOf('bicep', ['--version']);
  if (onPath.ok) return { kind: 'bicep', command: 'bicep', versionLine: onPath.line, origin: 'PATH' };
  tried.push(`bicep: ${onPath.why}`);
  const az = await versionOf('az', ['bicep', 'version']);
  if (az.ok) return { kind: 'az', command: 'az', versionLine: az.line, origin: 'az bicep' };
  tried.push(`az bicep: ${az.why}`);
  const restored = await restoredFromNuget();
  if ('command' in restored) return restored;
  tried.push(`NuGet with dotnet: ${restored.why}`);
  return { kind: 'none', tried };
}

const OS_NAMES: Readonly<Record<string, string>> = { linux: 'linux', darwin: 'osx', win32: 'win' };
const CPU_NAMES: Readonly<Record<string, string>> = { x64: 'x64', arm64: 'arm64' };

/** The NuGet package name for this platform, or null where Bicep ships none. */
export function packageFor(platform: NodeJS.Platform, arch: string): string | null {
  const os = OS_NAMES[platform];
  const cpu = CPU_NAMES[arch];
  return os === undefined || cpu === undefined ? null : `Azure.Bicep.CommandLine.${os}-${cpu}`;
}

/**
 * A project that only downloads the package (PackageDownload: no build, no framework of its
 * own), restored into .tools/bicep/packages; the binary is in the package's tools folder.
 */
export function restoreProject(packageId: string, version: string): string {
  return [
    '<Project Sdk="Microsoft.NET.Sdk">',
    '  <PropertyGroup>',
    '    <TargetFramework>net$(NETCoreAppMaximumVersion)</TargetFramework>',
    '  </PropertyGroup>',
    '  <ItemGroup>',
    `    <PackageDownload Include="${packageId}" Version="[${version}]" />`,
    '  </ItemGroup>',
    '</Project>',
    '',
  ].join('\n');
}

async function restoredFromNuget(): Promise<BicepCli | { readonly why: string }> {
  const packageId = packageFor(process.platform, process.arch);
  if (packageId === null) return { why: `no package for ${process.platform}-${process.arch}` };
  const packages = join(TOOLS_DIR, 'packages');
  const binary = join(
    packages,
    packageId.toLowerCase(),
    BICEP_VERSION,
    'tools',
    process.platform === 'win32' ? 'bicep.exe' : 'bicep',
  );
  if (!existsSync(binary)) {
    const dotnet = await versionOf('dotnet', ['--version']);
    if (!dotnet.ok) return { why: `dotnet: ${dotnet.why}` };
    await mkdir(TOOLS_DIR, { recursive: true });
    const project = join(TOOLS_DIR, 'restore-bicep.csproj');
    await writeFile(project, restoreProject(packageId, BICEP_VERSION));
    try {
      await run('dotnet', ['restore', project, '--packages', packages], { env: DOTNET_ENV });
    } catch (error) {
      return { why: `dotnet restore of ${packageId} ${BICEP_VERSION} failed: ${firstLines(error)}` };
    }
    if (!existsSync(binary)) return { why: `the package has no ${binary}` };
  }
  const version = await versionOf(binary, ['--version']);
  if (!version.ok) return { why: `${binary}: ${version.why}` };
  return {
    kind: 'bicep',
    command: binary,
    versionLine: version.line,
    origin: `NuGet ${packageId} in .tools/bicep`,
  };
}

type Version = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly why: string };

async function versionOf(command: string, args: readonly string[]): Promise<Version> {
  try {
    const { stdout, stderr } = await run(command, args, { env: DOTNET_ENV });
    const line = `${stdout}\n${stderr}`.split('\n').find((l) => /\d+\.\d+/.test(l));
    return line === undefined ? { ok: false, why: 'printed no version' } : { ok: true, line: line.trim() };
  } catch (error) {
    return { ok: false, why: firstLines(error) };
  }
}

function firstLines(error: unknown): string {
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 'not found';
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(0, 4).join(' ').slice(0, 400);
}
