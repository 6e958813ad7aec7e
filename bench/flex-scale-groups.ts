// The functions of functions/ split as Azure Flex Consumption scales them: every HTTP trigger
// in one group (they share instances), every other function on instances of its own. A bench
// starts one host process per group, so no function's CPU work delays another's, as in Azure.
import { spawnSync } from 'node:child_process';
import { z } from 'zod';

export interface ScaleGroup {
  /** 'http', or the function's name. */
  readonly name: string;
  /** The functions its host serves (the host's `AzureFunctionsJobHost__functions__<n>`). */
  readonly functions: readonly string[];
  readonly servesHttp: boolean;
}

const definitions = z.array(z.object({ name: z.string(), kind: z.enum(['http', 'timer', 'queue']) }));

/**
 * The scale groups of the functions in `functionsDir`: 'http', one group per function named in
 * `ownGroups`, and last 'other', holding the rest together (in Azure each of those is a group of
 * its own too; they are the timers and light queues, so they share one process to spare cores).
 */
export function flexScaleGroups(functionsDir: string, ownGroups: readonly string[]): ScaleGroup[] {
  // Listed by a child process: loading every function would leave ~100 MB in the bench's heap.
  const listed = spawnSync(process.execPath, [import.meta.filename, '--list', functionsDir], {
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`listing the functions failed: ${listed.stderr}`);
  const functions = definitions.parse(JSON.parse(listed.stdout));
  for (const name of ownGroups) {
    if (!functions.some((fn) => fn.name === name)) throw new Error(`no function ${name} in ${functionsDir}`);
  }
  const http = functions.filter((fn) => fn.kind === 'http').map((fn) => fn.name);
  const other = functions
    .filter((fn) => fn.kind !== 'http' && !ownGroups.includes(fn.name))
    .map((fn) => fn.name);
  return [
    { name: 'http', functions: http, servesHttp: true },
    ...ownGroups.map((name) => ({ name, functions: [name], servesHttp: false })),
    { name: 'other', functions: other, servesHttp: false },
  ].filter((group) => group.functions.length > 0);
}

if (process.argv[1] === import.meta.filename && process.argv[2] === '--list') {
  const { loadFunctions } = await import('../dev/host/functions-host.ts');
  const loaded = await loadFunctions(process.argv[3] ?? 'functions');
  process.stdout.write(JSON.stringify(loaded.map((fn) => ({ name: fn.name, kind: fn.kind }))));
}
