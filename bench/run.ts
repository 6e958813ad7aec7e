// Runs every bench/*.bench.ts in name order, each in its own Node process so that one bench's
// heap and JIT state cannot colour another's figures. Arguments filter by file name
// (`node bench/run.ts presence`). Exits non-zero when a bench fails or nothing matches.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const directory = import.meta.dirname;
const filters = process.argv.slice(2);
const files = readdirSync(directory)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`no bench matches ${filters.join(', ') || '*.bench.ts'}`);
  process.exit(1);
}

const failed: string[] = [];
for (const file of files) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [join(directory, file)], { stdio: 'inherit' });
  if (result.status !== 0)
    failed.push(`${file} (${result.error?.message ?? result.signal ?? `exit ${result.status}`})`);
}
if (failed.length > 0) {
  console.error(`\nbench failed: ${failed.join(', ')}`);
  process.exit(1);
}
