import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { MissingPermission } from '../calendar/calendar-source.ts';
import type { Settings } from '../config/settings.ts';
import { AppError } from '../errors.ts';
import { createPhonelinkClient } from '../phonelink/phonelink-client.ts';
import { stateAt } from '../presence/evaluate.ts';
import { toIsoSeconds } from '../presence/instant.ts';
import { getTelemetry } from '../telemetry/telemetry.ts';
import type { AdminDeps } from './admin-deps.ts';
import { sidesHealth } from './admin-sides.ts';
import { missingSettings } from './admin-status.ts';
import { isLoopback } from './credential-destinations.ts';
import { loadEffectiveSettings } from './effective-settings.ts';
import type { HealthWarning } from './health-warning.ts';
import { userPresence } from './user-presence.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Graph event subscriptions live at most 7 days and are renewed well before; half a day left means renewal is failing. */
const SUBSCRIPTION_WARN_MS = 12 * HOUR;
/** EWS subscriptions live a day and are re-subscribed with 3 hours left (calendar/ews/ews-liveness.ts): 2 left means renewal is failing. */
const EWS_SUBSCRIPTION_WARN_MS = 2 * HOUR;

function warnBefore(subscription: { readonly source: 'graph' | 'ews' }): number {
  return subscription.source === 'ews' ? EWS_SUBSCRIPTION_WARN_MS : SUBSCRIPTION_WARN_MS;
}
const CREDENTIAL_WARN_MS = 30 * DAY;
/** Entra ID client secrets last at most 24 months; say so well before. */
const SECRET_AGE_WARN_MS = 540 * DAY;
/** A computed state PHONE-LiNK has not been told for this long is a stuck push. */
const PUSH_LAG_WARN_MS = 60_000;
const PROBE_TIMEOUT_MS = 3_000;

/**
 * A deployment may send the PHONE-LiNK key over plain http: (its own network, its choice; the
 * admin API refuses it): the health view says so, as the key can be read on the way.
 */
export function transportWarnings(settings: Settings): HealthWarning[] {
  const url = settings.phonelink.url;
  if (url === null || url.protocol !== 'http:' || isLoopback(url) || settings.phonelink.apiKey === null)
    return [];
  return [
    {
      severity: 'warning',
      area: 'phonelink',
      text: `PHONELINK_URL is http: the PHONE-LiNK API key travels unencrypted to ${url.host}`,
    },
  ];
}

/** The health view: what is broken, and what will break soon, before users notice. */
export async function getHealth(services: AdminDeps, options: { readonly fetch?: typeof fetch } = {}) {
  const settings = await loadEffectiveSettings(
    services.settings,
    services.runtimeSettings,
    services.secretVault,
  );
  const now = services.now();
  const warnings: HealthWarning[] = [];
  const [users, subscriptions, presences, reports, secretInfo, routes] = await Promise.all([
    services.users.list(),
    services.subscriptions.list(),
    services.presence.list(),
    services.health.list(),
    services.secretVault.describe(),
    services.mailboxRoutes.list(),
  ]);
  const integrated = users.filter((u) => u.integrated);
  const calendars = await Promise.all(integrated.map((u) => services.calendars.get(u.id)));
  const subscriptionOf = new Map(subscriptions.map((s) => [s.userId, s]));
  const presenceOf = new Map(presences.map((p) => [p.userId, p]));

  if (!settings.integrationEnabled) {
    warnings.push({ severity: 'warning', area: 'integration', text: 'The integration is not activated' });
  }
  for (const name of missingSettings(settings)) {
    warnings.push({ severity: 'error', area: 'integration', text: `${name} is not set` });
  }
  warnings.push(...transportWarnings(settings));
  for (const report of reports) {
    if (report.ok) continue;
    const area = report.component === 'phonelink' ? 'phonelink' : 'exchange';
    const since = report.lastOkAt === null ? '' : ` (last worked ${toIsoSeconds(report.lastOkAt)})`;
    warnings.push({ severity: 'error', area, text: `${report.cause ?? 'failing'}${since}` });
  }

  let expiringSoon = 0;
  let missing = 0;
  let unread = 0;
  let failed = 0;
  integrated.forEach((user, i) => {
    const calendar = calendars[i] ?? null;
    const who = user.email ?? user.id;
    if (calendar?.lastError != null) {
      failed += 1;
      warnings.push({
        severity: 'error',
        area: 'calendars',
        text: `${who}: calendar could not be read: ${calendar.lastError}`,
        userId: user.id,
      });
    } else if (calendar === null || calendar.calendarReadAt === null) {
      unread += 1;
      warnings.push({
        severity: 'warning',
        area: 'calendars',
        text: `${who}: calendar not read yet`,
        userId: user.id,
      });
    }
    const subscription = subscriptionOf.get(user.id);
    if (subscription === undefined) {
      if (calendar?.calendarReadAt != null) {
        missing += 1;
        warnings.push({
          severity: 'warning',
          area: 'subscriptions',
          text: `${who}: no change subscription; changes are seen only at the next scan`,
          userId: user.id,
        });
      }
    } else if (subscription.expiresAt !== null && subscription.expiresAt - now < warnBefore(subscription)) {
      expiringSoon += 1;
      const expired = subscription.expiresAt <= now;
      warnings.push({
        severity: expired ? 'error' : 'warning',
        area: 'subscriptions',
        text: `${who}: change subscription ${expired ? 'expired' : 'expires'} ${toIsoSeconds(subscription.expiresAt)}`,
        userId: user.id,
      });
    }
    const presence = presenceOf.get(user.id) ?? null;
    const { prepared, state } = userPresence(calendar, presence, settings.policy, now);
    const pushed = presence?.lastPushed?.availability ?? null;
    // Overdue: PHONE-LiNK shows neither the state now nor the one a minute ago (a change just made is not late yet),
    // and the calendar was read over a minute ago.
    const aMinuteAgo = prepared === null ? null : stateAt(prepared, now - PUSH_LAG_WARN_MS).availability;
    const readAt = calendar?.calendarReadAt ?? now;
    if (
      state !== null &&
      pushed !== state.availability &&
      pushed !== aMinuteAgo &&
      now - readAt > PUSH_LAG_WARN_MS
    ) {
      warnings.push({
        severity: 'warning',
        area: 'presence',
        text: `${who}: PHONE-LiNK shows ${pushed ?? 'nothing yet'}, the calendar says ${state.availability}`,
        userId: user.id,
      });
    }
  });

  // A permission Exchange grants per mailbox does not show in the token: reads that work prove it.
  const proven = {
    'calendar reads': calendars.some((c) => c?.calendarReadAt != null),
    'out-of-office reads': calendars.some((c) => c?.outOfOfficeReadAt != null),
  };
  const permissions = await permissionWarnings(services, (proof) => proven[proof]);
  warnings.push(...permissions);
  const sides = settings.calendarSource === 'hybrid' ? sidesHealth(integrated, routes) : null;
  if (sides !== null) warnings.push(...sides.warnings);
  const credentials = await credentialWarnings(settings, secretInfo, now, warnings);
  const phonelink = await probePhonelink(settings, options.fetch);
  if (phonelink !== null && !phonelink.ok) {
    warnings.push({
      severity: 'error',
      area: 'phonelink',
      text: `PHONE-LiNK unreachable: ${phonelink.cause}`,
    });
  }

  return {
    checkedAt: toIsoSeconds(now),
    ok: !warnings.some((w) => w.severity === 'error'),
    warnings,
    users: { integrated: integrated.length, skipped: users.length - integrated.length },
    calendars: { read: integrated.length - unread - failed, unread, failed },
    subscriptions: { total: subscriptions.length, expiringSoon, missing },
    /** CALENDAR_SOURCE=hybrid: integrated users per side; null otherwise. */
    sides: sides?.counts ?? null,
    credentials,
    permissions: { missing: permissions.length },
    phonelink,
  };
}

/**
 * The application permissions the Exchange credentials lack (Graph: its token's `roles`), each
 * with how to grant it. When no token can be had, the Exchange report above says why.
 */
async function permissionWarnings(
  services: AdminDeps,
  proven: (proof: NonNullable<MissingPermission['provenBy']>) => boolean,
): Promise<HealthWarning[]> {
  const source = services.calendarSource;
  if (source.missingPermissions === undefined) return [];
  let missing: readonly MissingPermission[];
  try {
    missing = await source.missingPermissions();
  } catch {
    return [];
  }
  const unproven = missing.filter((p) => p.provenBy === undefined || !proven(p.provenBy));
  return unproven.map((permission) => ({
    severity: 'error' as const,
    area: 'permissions' as const,
    text: `Microsoft Graph permission ${permission.name} is not granted (needed to ${permission.neededFor}): ${permission.howToGrant}`,
  }));
}

async function credentialWarnings(
  settings: Settings,
  secretInfo: Awaited<ReturnType<AdminDeps['secretVault']['describe']>>,
  now: number,
  warnings: HealthWarning[],
) {
  let certificateExpiresAt: string | null = null;
  const certificatePath = settings.graph.clientCertificatePath;
  if (settings.calendarSource !== 'ews' && certificatePath !== null) {
    try {
      const pem = await readFile(certificatePath, 'utf8');
      const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
      if (block === undefined) throw new AppError('config.invalid', 'no certificate in the file');
      const validTo = Date.parse(new X509Certificate(block).validTo);
      certificateExpiresAt = toIsoSeconds(validTo);
      getTelemetry().credentialExpires('graph-client-certificate', validTo - now);
      if (validTo - now < CREDENTIAL_WARN_MS) {
        warnings.push({
          severity: validTo <= now ? 'error' : 'warning',
          area: 'credentials',
          text: `The Graph client certificate ${validTo <= now ? 'expired' : 'expires'} ${certificateExpiresAt}`,
        });
      }
    } catch {
      warnings.push({
        severity: 'error',
        area: 'credentials',
        text: 'GRAPH_CLIENT_CERTIFICATE_PATH cannot be read as a certificate',
      });
    }
  }
  const secret = secretInfo.get('GRAPH_CLIENT_SECRET');
  if (settings.calendarSource !== 'ews' && secret !== undefined) {
    if (secret.expiresAt !== null)
      getTelemetry().credentialExpires('graph-client-secret', secret.expiresAt - now);
    if (secret.expiresAt !== null && secret.expiresAt - now < CREDENTIAL_WARN_MS) {
      warnings.push({
        severity: secret.expiresAt <= now ? 'error' : 'warning',
        area: 'credentials',
        text: `The Graph client secret expires ${toIsoSeconds(secret.expiresAt)}`,
      });
    } else if (
      secret.expiresAt === null &&
      secret.updatedAt !== null &&
      now - secret.updatedAt > SECRET_AGE_WARN_MS
    ) {
      warnings.push({
        severity: 'warning',
        area: 'credentials',
        text: `The Graph client secret was set ${toIsoSeconds(secret.updatedAt)}; Entra ID client secrets last at most 24 months`,
      });
    }
  }
  return {
    graphCertificateExpiresAt: certificateExpiresAt,
    graphClientSecret:
      secret === undefined
        ? null
        : {
            updatedAt: secret.updatedAt === null ? null : toIsoSeconds(secret.updatedAt),
            expiresAt: secret.expiresAt === null ? null : toIsoSeconds(secret.expiresAt),
          },
  };
}

/** One directory read with a short timeout: can we reach PHONE-LiNK with our key right now? */
async function probePhonelink(settings: Settings, fetchImpl: typeof fetch | undefined) {
  const { url, apiKey } = settings.phonelink;
  if (url === null || apiKey === null) return null;
  const client = createPhonelinkClient({
    baseUrl: url,
    apiKey,
    timeoutMs: PROBE_TIMEOUT_MS,
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  });
  try {
    await client.listUsers();
    return { ok: true as const, cause: null };
  } catch (error) {
    return { ok: false as const, cause: error instanceof AppError ? error.message : 'no answer' };
  }
}
