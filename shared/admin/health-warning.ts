/** One line of the health view: what is broken or will break soon, and where. */
export interface HealthWarning {
  readonly severity: 'error' | 'warning';
  readonly area:
    | 'integration'
    | 'exchange'
    | 'subscriptions'
    | 'calendars'
    | 'presence'
    | 'credentials'
    | 'permissions'
    | 'phonelink';
  readonly text: string;
  readonly userId?: string;
}
