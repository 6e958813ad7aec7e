import type { Settings } from '../config/settings.ts';
import type { HealthReport } from '../storage/stores.ts';
import type { AdminDeps } from './admin-deps.ts';
import { loadEffectiveSettings } from './effective-settings.ts';
import { iso } from './user-presence.ts';

export interface StatusView {
  readonly status: 'online' | 'offline' | 'disabled';
  /** Why it is offline or disabled; null when online. */
  readonly cause: string | null;
  readonly source: 'graph' | 'ews';
  readonly integrationEnabled: boolean;
  readonly exchange: PartView;
  readonly phonelink: PartView;
  readonly checkedAt: string;
}

interface PartView {
  readonly ok: boolean | null;
  readonly cause: string | null;
  readonly at: string | null;
  readonly lastOkAt: string | null;
}

/** SPEC §5 GET /api/status: online; offline with the cause; or disabled. */
export async function getStatus(services: AdminDeps): Promise<StatusView> {
  const settings = await loadEffectiveSettings(
    services.settings,
    services.runtimeSettings,
    services.secretVault,
  );
  const reports = await services.health.list();
  const exchange = reports.find((r) => r.component === 'exchange') ?? null;
  const phonelink = reports.find((r) => r.component === 'phonelink') ?? null;
  const base = {
    source: settings.calendarSource,
    integrationEnabled: settings.integrationEnabled,
    exchange: part(exchange),
    phonelink: part(phonelink),
    checkedAt: iso(services.now()) ?? '',
  };
  if (!settings.integrationEnabled) {
    return {
      status: 'disabled',
      cause: 'The integration is not activated (INTEGRATION_ENABLED is false)',
      ...base,
    };
  }
  const missing = missingSettings(settings);
  if (missing.length > 0) {
    return { status: 'offline', cause: `Not configured: ${missing.join(', ')} not set`, ...base };
  }
  const exchangeName = settings.calendarSource === 'graph' ? 'Microsoft Graph' : 'EWS';
  if (exchange !== null && !exchange.ok) {
    return { status: 'offline', cause: `${exchangeName}: ${exchange.cause ?? 'failed'}`, ...base };
  }
  if (phonelink !== null && !phonelink.ok) {
    return { status: 'offline', cause: `PHONE-LiNK: ${phonelink.cause ?? 'failed'}`, ...base };
  }
  return { status: 'online', cause: null, ...base };
}

/** The settings without which the integration cannot run at all. */
export function missingSettings(settings: Settings): string[] {
  const missing: string[] = [];
  if (settings.phonelink.url === null) missing.push('PHONELINK_URL');
  if (settings.phonelink.apiKey === null) missing.push('PHONELINK_API_KEY');
  if (settings.callbackUrl === null) missing.push('CALLBACK_URL');
  if (settings.calendarSource === 'ews') {
    if (settings.ews.url === null) missing.push('EWS_SERVER or EWS_URL');
    if (settings.ews.username === null) missing.push('EWS_USERNAME');
    if (settings.ews.password === null) missing.push('EWS_PASSWORD');
  } else if (settings.graph.clientSecret !== null || settings.graph.clientCertificatePath !== null) {
    // With a secret or certificate the app registration must be named; without, managed identity.
    if (settings.graph.tenantId === null) missing.push('GRAPH_TENANT_ID');
    if (settings.graph.clientId === null) missing.push('GRAPH_CLIENT_ID');
  }
  return missing;
}

function part(report: HealthReport | null): PartView {
  if (report === null) return { ok: null, cause: null, at: null, lastOkAt: null };
  return { ok: report.ok, cause: report.cause, at: iso(report.at), lastOkAt: iso(report.lastOkAt) };
}
