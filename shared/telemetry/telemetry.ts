/**
 * What the service counts and times for operators (Application Insights custom metrics). The
 * methods take numbers and fixed words only, so no subject, address or secret can reach
 * telemetry through them. Without APPLICATIONINSIGHTS_CONNECTION_STRING every call does nothing.
 */
export interface Telemetry {
  /** One PUT of presence to PHONE-LiNK ended with `outcome`. */
  pushed(outcome: PushOutcome): void;
  /**
   * A presence update failed and is tried again later, with back-off, until it gets through: its
   * push failed (PHONE-LiNK unreachable or refusing the key), or the recalculation itself did
   * (storage, a bug). The queue invocation still succeeds, so this is what says updates fail.
   */
  updateRetried(cause: UpdateFailure): void;
  /** A change notification arrived at `notifiedAt`; the push it caused was accepted now. */
  notificationToPush(lagMs: number): void;
  /** A directory scan (start-up, weekly, Force now) finished. */
  scanned(scan: { readonly durationMs: number; readonly users: number; readonly integrated: number }): void;
  /** Graph answered 429 (or 503 with Retry-After); the wait it asked for, when it said. */
  graphThrottled(retryAfterMs: number | null): void;
  /** A calendar subscription was renewed (or had to be created again, or failed). */
  subscriptionRenewed(source: 'graph' | 'ews', outcome: RenewalOutcome): void;
  /** The hourly maintenance found this many integrated users whose subscription has lapsed. */
  subscriptionsLapsed(count: number): void;
  /** A credential of the app expires in `msLeft` (negative: expired), as the health check read it. */
  credentialExpires(credential: ExpiringCredential, msLeft: number): void;
}

export type ExpiringCredential = 'graph-client-secret' | 'graph-client-certificate';

export type PushOutcome = 'accepted' | 'superseded' | 'user-gone' | 'unauthorized' | 'retry';
export type UpdateFailure = 'phonelink-unreachable' | 'phonelink-unauthorized' | 'recalculation-failed';
export type RenewalOutcome = 'renewed' | 'recreated' | 'failed';

/** Metric names as they appear in Application Insights (customMetrics). */
export const METRICS = {
  pushes: 'presence.pushes',
  updateRetries: 'presence.update_retries',
  notificationToPushLag: 'presence.notification_to_push_lag',
  scanDuration: 'scan.duration',
  scanUsers: 'scan.users',
  scanIntegratedUsers: 'scan.integrated_users',
  graphThrottled: 'graph.throttled',
  graphRetryAfter: 'graph.retry_after',
  subscriptionRenewals: 'subscriptions.renewals',
  subscriptionsLapsed: 'subscriptions.lapsed',
  credentialDaysLeft: 'credentials.days_left',
} as const;

export const noTelemetry: Telemetry = Object.freeze({
  pushed() {},
  updateRetried() {},
  notificationToPush() {},
  scanned() {},
  graphThrottled() {},
  subscriptionRenewed() {},
  subscriptionsLapsed() {},
  credentialExpires() {},
});

let current: Telemetry = noTelemetry;

/** The process's telemetry: the Application Insights one once started, else one that does nothing. */
export function getTelemetry(): Telemetry {
  return current;
}

/** Set by startTelemetry (and tests); null restores the one that does nothing. */
export function setTelemetry(telemetry: Telemetry | null): void {
  current = telemetry ?? noTelemetry;
}
