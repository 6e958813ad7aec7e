import type { RequestOptions } from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { app } from '@azure/functions';
import { metrics } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { flushAzureMonitor, shutdownAzureMonitor, useAzureMonitor } from 'applicationinsights';
import { redactingLogRecordProcessor, redactingSpanProcessor } from './redacting-processors.ts';
import { createRedactor } from './redaction.ts';
import { METRICS, type Telemetry } from './telemetry.ts';

/**
 * Application Insights through the `applicationinsights` distro (OpenTelemetry). Loaded only by
 * start-telemetry.ts, and only with a connection string.
 *
 * - Correlation: in Azure Functions the distro parents every span and log record of an
 *   invocation on the host's trace context (its preInvocation hook), so the request, its logs
 *   and its dependencies share one operation id.
 * - Dependencies: outgoing HTTP through node:http/https (Azure SDK) and through fetch/undici
 *   (Graph client, EWS, PHONE-LiNK). Calls to the app's own storage account are left out: they
 *   are many per execution, cheap, and would dominate the telemetry bill (docs/cost.md).
 * - Nothing private: every span and log record passes the redacting processors first.
 */
export interface AzureMonitorConfig {
  readonly connectionString: string;
  /** APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=<id>;Authorization=AAD` with local auth off. */
  readonly authentication: string | null;
  /** AZURE_CLIENT_ID: the user-assigned identity, when the authentication string names no ClientId. */
  readonly managedIdentityClientId: string | null;
  readonly secrets: readonly (string | undefined)[];
  readonly liveMetrics: boolean;
  /** Share of operations whose spans are kept, 0..1. */
  readonly samplingRatio: number;
}

let undici: UndiciInstrumentation | null = null;

// The distro types this as the base config; it hands it to the http instrumentation, which reads the hook.
const httpInstrumentation = {
  enabled: true,
  // The host records each invocation as a request; with HTTP streaming the worker also serves the
  // request itself, which must not count twice.
  ignoreIncomingRequestHook: () => true,
  ignoreOutgoingRequestHook: (request: RequestOptions) =>
    isOwnStorage(request.hostname ?? request.host ?? ''),
};

export async function startAzureMonitor(config: AzureMonitorConfig): Promise<Telemetry> {
  const redact = createRedactor(config.secrets);
  const credential = await entraCredential(config.authentication, config.managedIdentityClientId);
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: config.connectionString,
      ...(credential === null ? {} : { credential }),
    },
    enableLiveMetrics: config.liveMetrics,
    // A fixed ratio keeps whole operations together; the default rate limit drops the first spans.
    samplingRatio: config.samplingRatio,
    tracesPerSecond: 0,
    // Per-second performance counters cost more than they tell for this workload.
    enableAutoCollectPerformance: false,
    instrumentationOptions: {
      azureSdk: { enabled: false },
      http: httpInstrumentation,
    },
    spanProcessors: [redactingSpanProcessor(redact)],
    logRecordProcessors: [redactingLogRecordProcessor(redact)],
  });
  // The http instrumentation patches node:http(s) when they are require()d after it is enabled;
  // in an ES module (and the bundle) they were imported before. Requiring them now patches the
  // shared module objects, and syncing pushes the patched functions to named ES imports too.
  const require = createRequire(import.meta.url);
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();
  // fetch() is undici: the distro's http instrumentation does not see it. This one listens on
  // undici's diagnostics channels, so it works in an ESM bundle without module hooks.
  undici ??= new UndiciInstrumentation({
    ignoreRequestHook: (request) => isOwnStorage(new URL(request.origin).hostname),
  });
  undici.enable();
  // Buffered telemetry is sent when the host stops the worker, or when a plain process runs out of work.
  app.hook.appTerminate(() => flushAzureMonitor());
  process.once('beforeExit', () => void flushAzureMonitor());
  return meterTelemetry();
}

export async function stopAzureMonitor(): Promise<void> {
  undici?.disable();
  await flushAzureMonitor();
  await shutdownAzureMonitor();
}

function isOwnStorage(host: string): boolean {
  return /\.(blob|queue|table)\.core\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)(:\d+)?$/i.test(
    host,
  );
}

async function entraCredential(authentication: string | null, managedIdentityClientId: string | null) {
  if (authentication === null || !/Authorization=AAD/i.test(authentication)) return null;
  // Without a client id the credential asks for a system-assigned identity, which the deployment lacks.
  const clientId =
    /ClientId=([^;]+)/i.exec(authentication)?.[1]?.trim() ?? managedIdentityClientId ?? undefined;
  const { ManagedIdentityCredential } = await import('@azure/identity');
  return clientId === undefined
    ? new ManagedIdentityCredential()
    : new ManagedIdentityCredential({ clientId });
}

function meterTelemetry(): Telemetry {
  const meter = metrics.getMeter('phonelink-calendar-presence');
  const pushes = meter.createCounter(METRICS.pushes, {
    description: 'Presence PUTs to PHONE-LiNK by outcome',
  });
  const retries = meter.createCounter(METRICS.updateRetries, {
    description: 'Presence updates that failed and were scheduled to be tried again, by cause',
  });
  const lag = meter.createHistogram(METRICS.notificationToPushLag, {
    description: 'From a change notification to the accepted push it caused',
    unit: 'ms',
  });
  const scanDuration = meter.createHistogram(METRICS.scanDuration, { unit: 'ms' });
  const scanUsers = meter.createGauge(METRICS.scanUsers, {
    description: 'PHONE-LiNK users seen by the last scan',
  });
  const scanIntegrated = meter.createGauge(METRICS.scanIntegratedUsers, {
    description: 'Users with Calendar Integration and an email address',
  });
  const throttled = meter.createCounter(METRICS.graphThrottled, { description: 'Graph 429 answers' });
  const retryAfter = meter.createHistogram(METRICS.graphRetryAfter, { unit: 'ms' });
  const renewals = meter.createCounter(METRICS.subscriptionRenewals, {
    description: 'Subscription renewals',
  });
  const lapsed = meter.createGauge(METRICS.subscriptionsLapsed, {
    description: 'Integrated users whose subscription has lapsed (notices lost until the resync)',
  });
  const daysLeft = meter.createGauge(METRICS.credentialDaysLeft, {
    description: 'Days until a credential of the app expires',
    unit: 'd',
  });
  return {
    pushed: (outcome) => pushes.add(1, { outcome }),
    updateRetried: (cause) => retries.add(1, { cause }),
    notificationToPush: (lagMs) => lag.record(Math.max(0, lagMs)),
    scanned: (scan) => {
      scanDuration.record(Math.max(0, scan.durationMs));
      scanUsers.record(scan.users);
      scanIntegrated.record(scan.integrated);
    },
    graphThrottled: (retryAfterMs) => {
      throttled.add(1);
      if (retryAfterMs !== null) retryAfter.record(Math.max(0, retryAfterMs));
    },
    subscriptionRenewed: (source, outcome) => renewals.add(1, { source, outcome }),
    subscriptionsLapsed: (count) => lapsed.record(count),
    credentialExpires: (credential, msLeft) => daysLeft.record(msLeft / 86_400_000, { credential }),
  };
}
