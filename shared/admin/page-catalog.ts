/**
 * What the admin page is told about the settings: a JSON block in the page, built from the
 * settings table (settings-catalog.ts). Types only, so the page script can be checked against it.
 */
export interface PageCatalog {
  /** The form's fieldsets, in order. */
  readonly groups: readonly PageGroupView[];
}

export interface PageGroupView {
  readonly legend: string;
  readonly fields: readonly PageField[];
}

export interface PageField {
  /** The SPEC §7 name, as the admin API takes it. */
  readonly name: string;
  readonly label: string;
  readonly input: 'text' | 'url' | 'boolean' | 'integer' | 'choice' | 'secret';
  /** The choices of a `choice`; empty otherwise. */
  readonly options: readonly string[];
  /** Set by the deployment: shown, never sent. */
  readonly readOnly: boolean;
}
