import type { SettingName } from '../config/load-settings.ts';

/**
 * The SPEC §7 settings as the admin API shows them. `text`, `boolean`, `integer` and `choice`
 * are readable and writable; `secret` is write-only (reads say only whether it is set);
 * `fixed` settings are shown (as set / not set, they may hold keys) but only the deployment
 * changes them.
 */
export type SettingKind =
  | { readonly type: 'text' }
  | { readonly type: 'url' }
  | { readonly type: 'boolean' }
  | { readonly type: 'integer' }
  | { readonly type: 'choice'; readonly options: readonly string[] }
  | { readonly type: 'secret' }
  | { readonly type: 'fixed' };

export const ADMIN_SETTINGS = {
  INTEGRATION_ENABLED: { type: 'boolean' },
  CALENDAR_SOURCE: { type: 'choice', options: ['graph', 'ews'] },
  CALLBACK_URL: { type: 'url' },
  GRAPH_TENANT_ID: { type: 'text' },
  GRAPH_CLIENT_ID: { type: 'text' },
  GRAPH_CLIENT_SECRET: { type: 'secret' },
  GRAPH_CLIENT_CERTIFICATE_PATH: { type: 'text' },
  GRAPH_BASE_URL: { type: 'url' },
  GRAPH_AUTHORITY_HOST: { type: 'url' },
  EWS_SERVER: { type: 'text' },
  EWS_URL: { type: 'url' },
  EWS_USERNAME: { type: 'text' },
  EWS_PASSWORD: { type: 'secret' },
  EWS_AUTH: { type: 'choice', options: ['ntlm', 'basic'] },
  PHONELINK_URL: { type: 'url' },
  PHONELINK_API_KEY: { type: 'secret' },
  PHONELINK_WEBHOOK_SECRET: { type: 'secret' },
  SCAN_SCHEDULE: { type: 'text' },
  SCAN_WINDOW_DAYS: { type: 'integer' },
  TENTATIVE_AS: { type: 'choice', options: ['Meeting', 'Available'] },
  SHARE_SUBJECTS: { type: 'boolean' },
  AzureWebJobsStorage: { type: 'fixed' },
  ADMIN_API_KEY: { type: 'fixed' },
  APPLICATIONINSIGHTS_CONNECTION_STRING: { type: 'fixed' },
} as const satisfies Partial<Record<SettingName, SettingKind>>;

export type AdminSettingName = keyof typeof ADMIN_SETTINGS;

export const ADMIN_SETTING_NAMES = Object.keys(ADMIN_SETTINGS) as readonly string[];

export function isAdminSettingName(name: string): name is AdminSettingName {
  return Object.hasOwn(ADMIN_SETTINGS, name);
}
