// The Graph path at 2,000 and 20,000 users in one invocation (BENCH_GRAPH_SIZES overrides the
// sizes, comma-separated), each size a run of graph-size.ts in a process of its own, so one
// size's heap cannot colour the other's figures. Prints every figure at each size side by side,
// the ratio of the largest size to the smallest, and the target; exits 1 when a target is missed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROWS, type SizeFigures } from './graph-figures.ts';

const SIZES = (process.env.BENCH_GRAPH_SIZES ?? '2000,20000')
  .split(',')
  .map((size) => Number(size.trim()))
  .filter((size) => Number.isInteger(size) && size > 0);

const results: SizeFigures[] = [];
for (const users of SIZES) {
  console.log(`graph path: ${users} users, 40 ms simulated Graph latency …`);
  results.push(await runSize(users));
}

const first = results[0];
const last = results.at(-1);
const header = ['', ...results.map((r) => `${r.users} users`), results.length > 1 ? 'ratio' : '', 'target'];
const lines = [header];
let missed = false;
for (const row of ROWS) {
  const ok = results.map((figures) => row.ok(figures));
  if (ok.includes(false)) missed = true;
  lines.push([
    row.label,
    ...results.map((figures, i) => `${row.value(figures)}${ok[i] === false ? ' MISSED' : ''}`),
    results.length > 1 && first !== undefined && last !== undefined
      ? ratio(row.value(first), row.value(last))
      : '',
    row.target,
  ]);
}
lines.push(['peak RSS per scale group', ...results.map((r) => JSON.stringify(r.rssPerGroup)), '', '']);
const widths = header.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length)));
for (const line of lines)
  console.log(`  ${line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`);
console.log(
  `  (${results.map((r) => `${r.users} users: ${r.ackAfter.notices} notices after the scan, ${r.ackDuring?.notices ?? 0} during it`).join('; ')})`,
);
if (missed) process.exitCode = 1;

/** The first numbers of two figures, divided: how the figure grew with the users. */
function ratio(small: string, large: string): string {
  const a = Number.parseFloat(small.replace(/^p\d+ /, ''));
  const b = Number.parseFloat(large.replace(/^p\d+ /, ''));
  return Number.isFinite(a) && Number.isFinite(b) && a > 0 ? `×${(b / a).toFixed(2)}` : '';
}

function runSize(users: number): Promise<SizeFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'graph-size.ts')], {
      env: { ...process.env, BENCH_USERS: String(users) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let figures: SizeFigures | null = null;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('BENCH_FIGURES ')) figures = JSON.parse(line.slice('BENCH_FIGURES '.length));
      else console.log(line);
    });
    child.once('exit', (code, signal) => {
      if (figures !== null) resolve(figures);
      else reject(new Error(`the ${users}-user run ended (${signal ?? code}) without figures`));
    });
  });
}
