import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';

/**
 * Starts the real storage emulator (npm `azurite`) as a child process. Ports are chosen by the
 * operating system (port 0) and read back from Azurite's own "listening at" lines, so parallel
 * test files never collide and no port is guessed.
 */
export interface AzuriteOptions {
  /** Folder for persistent data (the demo). Ignored with `inMemory`. */
  readonly location?: string;
  /** Keep everything in memory (tests). Default: true unless `location` is given. */
  readonly inMemory?: boolean;
  /** Fixed ports instead of free ones (0 = any free port). */
  readonly ports?: { readonly blob?: number; readonly queue?: number; readonly table?: number };
  /** How long to wait for all three services to listen. */
  readonly startTimeoutMs?: number;
  /** Node.js arguments for the emulator's process (a bench loads its request counter so). */
  readonly nodeArgs?: readonly string[];
  /** More environment for the emulator's process. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningAzurite {
  /** A full connection string with blob, queue and table endpoints. */
  readonly connectionString: string;
  readonly endpoints: { readonly blob: string; readonly queue: string; readonly table: string };
  stop(): Promise<void>;
}

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const inMemory = options.inMemory ?? options.location === undefined;
  const entry = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
  const args = [
    ...(options.nodeArgs ?? []),
    entry,
    '--blobPort',
    String(options.ports?.blob ?? 0),
    '--queuePort',
    String(options.ports?.queue ?? 0),
    '--tablePort',
    String(options.ports?.table ?? 0),
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
    '--disableTelemetry',
  ];
  let cwd = tmpdir();
  if (inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    const location = options.location ?? cwd;
    mkdirSync(location, { recursive: true });
    args.push('--location', location);
    cwd = location;
  }
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  // A parent that exits without stop() must not leave the emulator running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });

  let endpoints: RunningAzurite['endpoints'];
  try {
    endpoints = await waitForEndpoints(child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  // Keep draining output so a full pipe never blocks the emulator.
  child.stdout?.resume();
  child.stderr?.resume();

  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT_NAME}`,
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `BlobEndpoint=${endpoints.blob}/${DEV_ACCOUNT_NAME}`,
    `QueueEndpoint=${endpoints.queue}/${DEV_ACCOUNT_NAME}`,
    `TableEndpoint=${endpoints.table}/${DEV_ACCOUNT_NAME}`,
  ].join(';');

  let stopping: Promise<void> | null = null;
  return {
    connectionString: `${connectionString};`,
    endpoints,
    stop() {
      stopping ??= stopChild(child, exited);
      return stopping;
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function waitForEndpoints(child: ChildProcess, timeoutMs: number): Promise<RunningAzurite['endpoints']> {
  return new Promise((resolve, reject) => {
    const found = new Map<string, string>();
    let output = '';
    let buffered = '';
    const timer = setTimeout(
      () => finish(new Error(`Azurite did not start within ${timeoutMs} ms: ${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = LISTENING.exec(line);
        if (match?.[1] !== undefined && match[2] !== undefined) found.set(match[1], match[2]);
      }
      const blob = found.get('Blob');
      const queue = found.get('Queue');
      const table = found.get('Table');
      if (blob !== undefined && queue !== undefined && table !== undefined)
        finish(null, { blob, queue, table });
    };
    const onExit = (code: number | null): void => {
      finish(new Error(`Azurite exited (code ${code}) before listening: ${output}`));
    };
    const finish = (error: Error | null, value?: RunningAzurite['endpoints']): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error !== null) reject(error);
      else if (value !== undefined) resolve(value);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
