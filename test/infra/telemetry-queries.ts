import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { METRICS, type Telemetry } from '../../shared/telemetry/telemetry.ts';

/**
 * What the app really sends to Application Insights, read from the code, and the check that a
 * KQL query (an alert rule's or the workbook's) names only that: metrics the app records, with
 * the dimensions and values it gives them, and functions it has.
 */

const ROOT = join(import.meta.dirname, '..', '..');

/** Which Telemetry method records each metric. */
const EMITTER: Record<keyof typeof METRICS, keyof Telemetry> = {
  pushes: 'pushed',
  updateRetries: 'updateRetried',
  notificationToPushLag: 'notificationToPush',
  scanDuration: 'scanned',
  scanUsers: 'scanned',
  scanIntegratedUsers: 'scanned',
  graphThrottled: 'graphThrottled',
  graphRetryAfter: 'graphThrottled',
  subscriptionRenewals: 'subscriptionRenewed',
  subscriptionsLapsed: 'subscriptionsLapsed',
  credentialDaysLeft: 'credentialExpires',
};
/** Tables the Functions host and the OpenTelemetry distro fill for the app. */
const TABLES = new Set(['customMetrics', 'requests', 'dependencies', 'exceptions', 'traces']);

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, ext);
    return entry.name.endsWith(ext) ? [path] : [];
  });
}

export interface Emitted {
  /** Metric names that some product code records (a Telemetry method called outside shared/telemetry). */
  readonly metrics: ReadonlySet<string>;
  /** Metric names declared in METRICS but recorded nowhere. */
  readonly declaredOnly: ReadonlySet<string>;
  /** customDimensions the metrics carry. */
  readonly dimensions: ReadonlySet<string>;
  /** The words those dimensions take (outcomes, sources, credentials). */
  readonly dimensionValues: ReadonlySet<string>;
  /** Function names (the host's operation_Name). */
  readonly functions: ReadonlySet<string>;
}

export function readEmitted(): Emitted {
  const product = filesUnder(join(ROOT, 'shared'), '.ts')
    .filter((path) => !relative(ROOT, path).startsWith(join('shared', 'telemetry')))
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');
  const called = (method: string) => new RegExp(`\\.${method}\\(`).test(product);
  const metrics = new Set<string>();
  const declaredOnly = new Set<string>();
  for (const [key, name] of Object.entries(METRICS)) {
    const method = EMITTER[key as keyof typeof METRICS];
    (called(method) ? metrics : declaredOnly).add(name);
  }
  const monitor = readFileSync(join(ROOT, 'shared', 'telemetry', 'azure-monitor.ts'), 'utf8');
  const dimensions = new Set(
    [...monitor.matchAll(/\.(?:add|record)\([^,]+,\s*\{([^}]*)\}\)/g)].flatMap((m) =>
      (m[1] ?? '').split(',').map((k) => k.trim()),
    ),
  );
  const types = readFileSync(join(ROOT, 'shared', 'telemetry', 'telemetry.ts'), 'utf8');
  const dimensionValues = new Set(
    [...types.matchAll(/^export type \w+ = ([^;]+);/gm)].flatMap((m) =>
      [...(m[1] ?? '').matchAll(/'([^']+)'/g)].map((v) => v[1] ?? ''),
    ),
  );
  for (const source of ['graph', 'ews']) dimensionValues.add(source);
  const functions = new Set(
    filesUnder(join(ROOT, 'functions'), '.ts').flatMap((path) =>
      [...readFileSync(path, 'utf8').matchAll(/^\s+name: '([^']+)'/gm)].map((m) => m[1] ?? ''),
    ),
  );
  return { metrics, declaredOnly, dimensions, dimensionValues, functions };
}

const quoted = (text: string): string[] => [...text.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');

/** Everything in `query` that the app does not emit, in words; empty when the query is sound. */
export function queryProblems(query: string, emitted: Emitted): string[] {
  const problems: string[] = [];
  const code = query
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  const tables = [
    ...code.matchAll(/^([A-Za-z]+)\s*$/gm),
    ...code.matchAll(/^([A-Za-z]+)\s*\|/gm),
    ...code.matchAll(/\(\s*([A-Za-z]+)\s*\|/g),
  ].map((m) => m[1] ?? '');
  if (tables.length === 0) problems.push('reads no table');
  for (const table of tables)
    if (!TABLES.has(table)) problems.push(`table ${table} is not one the app fills`);
  for (const m of code.matchAll(/\bname\s*(?:==\s*('[^']*')|in\s*\(([^)]*)\))/g)) {
    for (const name of quoted(m[1] ?? m[2] ?? '')) {
      if (emitted.declaredOnly.has(name)) problems.push(`metric ${name} is declared but never recorded`);
      else if (!emitted.metrics.has(name)) problems.push(`metric ${name} is not one the app records`);
    }
  }
  for (const m of code.matchAll(/\boperation_Name\s*(?:==\s*('[^']*')|in\s*\(([^)]*)\))/g)) {
    for (const name of quoted(m[1] ?? m[2] ?? '')) {
      if (!emitted.functions.has(name)) problems.push(`function ${name} does not exist`);
    }
  }
  const dimensionAliases = new Set<string>();
  for (const m of code.matchAll(/(\w+)\s*=\s*tostring\(customDimensions\.(\w+)\)/g)) {
    const [, alias, dimension] = m;
    if (dimension !== undefined && !emitted.dimensions.has(dimension)) {
      problems.push(`dimension ${dimension} is not one the app sets`);
    }
    if (alias !== undefined) dimensionAliases.add(alias);
  }
  for (const alias of dimensionAliases) {
    const compared = new RegExp(`\\b${alias}\\s*(?:==\\s*('[^']*')|in\\s*\\(([^)]*)\\))`, 'g');
    for (const m of code.matchAll(compared)) {
      for (const value of quoted(m[1] ?? m[2] ?? '')) {
        if (!emitted.dimensionValues.has(value)) problems.push(`${alias} '${value}' is never recorded`);
      }
    }
  }
  return problems;
}

export interface NamedQuery {
  readonly file: string;
  readonly query: string;
}

/** The .kql files under infra/monitoring/<folder>, and whether `bicep` loads each of them. */
export function monitoringQueries(folder: 'alerts' | 'workbook'): NamedQuery[] {
  return filesUnder(join(ROOT, 'infra', 'monitoring', folder), '.kql').map((path) => ({
    file: relative(join(ROOT, 'infra'), path),
    query: readFileSync(path, 'utf8'),
  }));
}

export function loadedBy(bicepFile: string): string[] {
  const text = readFileSync(join(ROOT, 'infra', bicepFile), 'utf8');
  return [...text.matchAll(/loadTextContent\('\.\.\/([^']+\.kql)'\)/g)].map((m) => m[1] ?? '');
}
