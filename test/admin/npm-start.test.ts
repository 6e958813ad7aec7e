import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const START = resolve(import.meta.dirname, '../../dev/start.ts');

/** SPEC §8: `npm start` with no configuration is the offline demo; Ctrl-C stops all it started. */
describe('§8 npm start', () => {
  let child: ChildProcess | null = null;
  let cwd: string | null = null;
  after(async () => {
    child?.kill('SIGKILL');
    if (cwd !== null) await rm(cwd, { recursive: true, force: true });
  });

  it('prints the admin page and a key that opens it, shows presence, and stops everything on Ctrl-C', async () => {
    cwd = await mkdtemp(join(tmpdir(), 'npm-start-'));
    const env: Record<string, string | undefined> = { ...process.env, PORT: '0' };
    for (const name of ['GRAPH_CLIENT_ID', 'EWS_SERVER', 'EWS_URL', 'ADMIN_API_KEY', 'CALENDAR_SOURCE'])
      delete env[name];
    const started = spawn(process.execPath, [START], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const printed = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no URLs within 60 s:\n${output}`)), 60_000);
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ctrl-C stops everything/.test(output)) {
          clearTimeout(timer);
          done(output);
        }
      });
    });
    const adminPage = /Admin page\s+(\S+)/.exec(printed)?.[1] ?? '';
    const key = /Admin API key\s+(\S+)/.exec(printed)?.[1] ?? '';
    assert.match(adminPage, /^http:\/\/localhost:\d+\/api\/admin$/);
    assert.match(/Presence window\s+(\S+)/.exec(printed)?.[1] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const api = adminPage.replace(/admin$/, '');

    assert.equal((await fetch(`${api}status`)).status, 401);
    const deadline = Date.now() + 30_000;
    let users = '';
    while (!/"OutOfOffice"/.test(users) && Date.now() < deadline) {
      users = await (await fetch(`${api}users`, { headers: { authorization: `Bearer ${key}` } })).text();
      await new Promise((wait) => setTimeout(wait, 500));
    }
    assert.match(users, /Eve Porter/);
    assert.match(users, /"OutOfOffice"/, 'the seeded out-of-office user shows within 30 s');

    const children = childrenOf(started.pid ?? 0);
    assert.ok(children.length > 0, 'Azurite runs as a child');
    const exited = new Promise<number | null>((done) => started.once('exit', (code) => done(code)));
    started.kill('SIGINT');
    assert.equal(await exited, 0);
    child = null;
    for (const pid of children) assert.equal(isAlive(pid), false, `child ${pid} stopped`);
    await assert.rejects(fetch(`${api}status`), 'the functions no longer listen');
  });
});

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
