import {
  PAGE_GROUPS,
  SETTING_NAMES,
  type SettingInput,
  type SettingName,
  settingRow,
} from '../config/setting-table.ts';
import type { PageCatalog } from './page-catalog.ts';

/**
 * The SPEC §7 settings as the admin API shows them, read from the settings table: those with a
 * page place. `fixed` settings are shown (as set / not set when secret) but only the deployment
 * changes them; the others are written as their input type says.
 */
export type SettingKind = SettingInput | { readonly type: 'fixed' };

/** A SPEC §7 name the admin API shows. */
export type AdminSettingName = SettingName;

export const ADMIN_SETTING_NAMES: readonly AdminSettingName[] = SETTING_NAMES.filter(
  (name) => settingRow(name).page !== undefined,
);

export function isAdminSettingName(name: string): name is AdminSettingName {
  return (ADMIN_SETTING_NAMES as readonly string[]).includes(name);
}

export function adminKind(name: AdminSettingName): SettingKind {
  const row = settingRow(name);
  return row.access === 'deployment-only' ? { type: 'fixed' } : row.input;
}

/** The page's form: every group of the table in order, each with its settings. */
export function pageCatalog(): PageCatalog {
  return {
    groups: PAGE_GROUPS.map((legend) => ({
      legend,
      fields: ADMIN_SETTING_NAMES.filter((name) => settingRow(name).page?.group === legend).map((name) => {
        const row = settingRow(name);
        return {
          name,
          label: row.page?.label ?? name,
          input: row.input.type,
          options: row.input.type === 'choice' ? row.input.options : [],
          readOnly: row.access === 'deployment-only',
        };
      }),
    })),
  };
}
