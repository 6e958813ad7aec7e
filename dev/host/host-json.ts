import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The parts of host.json the local host honours, with the Azure defaults for what is absent.
 * TimeSpans are `hh:mm:ss` (optionally `d.hh:mm:ss` and fractions of a second).
 */
export interface HostConfig {
  readonly queues: {
    readonly batchSize: number;
    readonly newBatchThreshold: number;
    readonly maxPollingIntervalMs: number;
    readonly visibilityTimeoutMs: number;
    readonly maxDequeueCount: number;
    readonly messageEncoding: 'base64' | 'none';
  };
  readonly functionTimeoutMs: number;
  readonly routePrefix: string;
  /** The only functions this host serves (host.json `functions`); empty: all of them. */
  readonly functions: readonly string[];
}

const timeSpan = z.string().transform((text, ctx) => {
  const ms = parseTimeSpan(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a TimeSpan hh:mm:ss' });
    return z.NEVER;
  }
  return ms;
});

const hostJson = z.object({
  functions: z.array(z.string()).optional(),
  functionTimeout: timeSpan.optional(),
  extensions: z
    .object({
      http: z.object({ routePrefix: z.string().optional() }).optional(),
      queues: z
        .object({
          batchSize: z.number().int().min(1).max(32).optional(),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxPollingInterval: timeSpan.optional(),
          visibilityTimeout: timeSpan.optional(),
          maxDequeueCount: z.number().int().min(1).optional(),
          messageEncoding: z.enum(['base64', 'none']).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** Values of app settings, where `AzureFunctionsJobHost__<path>` overrides host.json. */
export type HostSettings = Readonly<Record<string, string | undefined>>;

export function parseHostJson(value: unknown, settings: HostSettings = {}): HostConfig {
  const parsed = hostJson.safeParse(value);
  if (!parsed.success) {
    throw new Error(`host.json is invalid: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  const queues = parsed.data.extensions?.queues ?? {};
  const batchSize = queues.batchSize ?? 16;
  return {
    queues: {
      batchSize,
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxPollingIntervalMs: queues.maxPollingInterval ?? 60_000,
      visibilityTimeoutMs: queues.visibilityTimeout ?? 0,
      maxDequeueCount: queues.maxDequeueCount ?? 5,
      messageEncoding: queues.messageEncoding ?? 'base64',
    },
    functionTimeoutMs: parsed.data.functionTimeout ?? 5 * 60_000,
    routePrefix: parsed.data.extensions?.http?.routePrefix ?? 'api',
    functions: functionNames(parsed.data.functions ?? [], settings),
  };
}

export function readHostJson(path: string, settings: HostSettings = {}): HostConfig {
  return parseHostJson(JSON.parse(readFileSync(path, 'utf8')), settings);
}

/**
 * host.json `functions` with the app settings `AzureFunctionsJobHost__functions__<n>` applied.
 * Azure's configuration merges an array by index: setting n replaces entry n, or adds it.
 */
function functionNames(fromFile: readonly string[], settings: HostSettings): string[] {
  const byIndex = new Map(fromFile.map((name, index) => [index, name]));
  for (const [key, value] of Object.entries(settings)) {
    const index = /^AzureFunctionsJobHost__functions__(\d+)$/i.exec(key)?.[1];
    if (index !== undefined && value !== undefined && value.trim() !== '')
      byIndex.set(Number(index), value.trim());
  }
  return [...byIndex].sort(([a], [b]) => a - b).map(([, name]) => name);
}

/** `[d.]hh:mm:ss[.fff]` → milliseconds, or null. */
export function parseTimeSpan(text: string): number | null {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (match === null) return null;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction || '0'}`) * 1000)
  );
}
