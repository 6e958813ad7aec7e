import type { Settings } from '../config/settings.ts';
import type { HealthReport } from '../storage/stores.ts';
import type { AdminDeps } from './admin-deps.ts';
import { loadEffectiveSettings } from './effective-settings.ts';
import { iso } from './user-presence.ts';

export interface StatusView {
  readonly status: 'online' | 'offline' | 'disabled';
  /** Why it is offline or disabled; null when online. */
  readonly cause: string | null;
  readonly source: 'graph' | 'ews' | 'hybrid';
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
  const exchangeName = EXCHANGE_NAMES[settings.calendarSource];
  // A hybrid organization: each side's own outcome, so the cause names the side that fails.
  const side = settings.calendarSource === 'hybrid' ? failingSide(reports) : null;
  if (side !== null) return { status: 'offline', cause: side, ...base };
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
  if (settings.calendarSource !== 'graph') {
    if (settings.ews.url === null) missing.push('EWS_SERVER or EWS_URL');
    if (settings.ews.username === null) missing.push('EWS_USERNAME');
    if (settings.ews.password === null) missing.push('EWS_PASSWORD');
  }
  if (settings.calendarSource === 'ews') {
    // EWS alone needs no app registration.
  } else if (settings.graph.clientSecret !== null || settings.graph.clientCertificatePath !== null) {
    // With a secret or certificate the app registration must be named; without, managed identity.
    if (settings.graph.tenantId === null) missing.push('GRAPH_TENANT_ID');
    if (settings.graph.clientId === null) missing.push('GRAPH_CLIENT_ID');
  }
  return missing;
}

const EXCHANGE_NAMES: Readonly<Record<Settings['calendarSource'], string>> = {
  graph: 'Microsoft Graph',
  ews: 'EWS',
  hybrid: 'Exchange (hybrid)',
};

const SIDES = [
  { component: 'exchange-graph', name: 'Exchange Online (Microsoft Graph)', served: 'Exchange Server' },
  { component: 'exchange-ews', name: 'Exchange Server (EWS)', served: 'Exchange Online' },
] as const;

/** The side of a hybrid organization that last failed, in words; null when both answer. */
function failingSide(reports: readonly HealthReport[]): string | null {
  const failing = SIDES.filter(({ component }) => reports.some((r) => r.component === component && !r.ok));
  const [first] = failing;
  if (first === undefined) return null;
  const cause = reports.find((r) => r.component === first.component)?.cause ?? 'failed';
  if (failing.length > 1) return `Neither side answers: ${first.name}: ${cause}`;
  return `${first.name} does not answer: ${cause} (users on ${first.served} are still served)`;
}

function part(report: HealthReport | null): PartView {
  if (report === null) return { ok: null, cause: null, at: null, lastOkAt: null };
  return { ok: report.ok, cause: report.cause, at: iso(report.at), lastOkAt: iso(report.lastOkAt) };
}
