import { managedIdentityClientId } from '../config/load-settings.ts';
import { SETTING_NAMES, settingRow } from '../config/setting-table.ts';
import { setTelemetry, type Telemetry } from './telemetry.ts';

/**
 * Starts Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set (SPEC §7), and
 * makes `getTelemetry()` record to it. Without the setting nothing is loaded: the SDK and
 * OpenTelemetry are imported only here, dynamically, so a plain start pays nothing for them.
 * A failure to start is reported on stderr and leaves the app running without telemetry.
 */
export interface TelemetryOptions {
  /** Live Metrics (the portal's live view); on by default. */
  readonly liveMetrics?: boolean;
  /** Share of operations whose dependencies and logs are kept, 0..1; default OTEL_TRACES_SAMPLER_ARG, else all. */
  readonly samplingRatio?: number;
}

/** Settings whose values are secrets (a storage connection string holds the account key): scrubbed wherever they appear. */
const SECRET_SETTINGS = SETTING_NAMES.filter((name) => settingRow(name).secret);

let started = false;

export async function startTelemetry(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: TelemetryOptions = {},
): Promise<Telemetry | null> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (connectionString === undefined || connectionString === '') return null;
  try {
    const { startAzureMonitor } = await import('./azure-monitor.ts');
    const telemetry = await startAzureMonitor({
      connectionString,
      authentication: env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? null,
      managedIdentityClientId: managedIdentityClientId(env),
      secrets: SECRET_SETTINGS.map((name) => env[name]),
      liveMetrics: options.liveMetrics ?? true,
      samplingRatio: options.samplingRatio ?? samplingRatio(env.OTEL_TRACES_SAMPLER_ARG),
    });
    started = true;
    setTelemetry(telemetry);
    return telemetry;
  } catch (error) {
    // Telemetry is for operators; the service itself must keep running without it.
    console.error(
      `Application Insights did not start: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
    return null;
  }
}

/** OpenTelemetry's own setting for the ratio sampler; anything but a number in 0..1 means all. */
function samplingRatio(value: string | undefined): number {
  const ratio = Number(value);
  return value !== undefined && value.trim() !== '' && ratio >= 0 && ratio <= 1 ? ratio : 1;
}

/** Sends what is buffered and stops (tests, and the host's shutdown). */
export async function stopTelemetry(): Promise<void> {
  if (!started) return;
  started = false;
  const { stopAzureMonitor } = await import('./azure-monitor.ts');
  await stopAzureMonitor();
  setTelemetry(null);
}
