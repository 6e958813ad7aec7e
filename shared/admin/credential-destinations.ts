import { basicAuthProblem } from '../config/load-settings.ts';
import { type SettingName, settingRow, type WritableSecretName } from '../config/setting-table.ts';
import type { Settings } from '../config/settings.ts';

/**
 * SPEC §5, issue "nothing leaked": a secret stays where it was entered. Through the admin API,
 * whoever changes where a credential is sent must give that credential again in the same
 * request; the URLs that receive one are https: (loopback excepted, for the demo); Graph's hosts
 * are the public and national clouds or the deployment's own; basic authentication only over
 * https:. Pure: the settings before, after and at start-up, and the request, in; problems out.
 */

export interface SettingsWrite {
  /** The plain settings written, by name (null: back to the start-up value). */
  readonly plain: ReadonlyMap<SettingName, unknown>;
  /** The secrets written: a new value, or null to forget the one written before. */
  readonly secrets: ReadonlyMap<WritableSecretName, string | null>;
}

export interface DestinationProblem {
  readonly name: SettingName;
  readonly problem: string;
}

interface Destination {
  /** The settings that say where the credential goes. */
  readonly by: readonly SettingName[];
  /** Where it goes, part by part; null: that part sends nothing. */
  readonly to: (settings: Settings) => readonly (string | null)[];
}

const DESTINATIONS: Readonly<Record<WritableSecretName, Destination | null>> = {
  GRAPH_CLIENT_SECRET: {
    by: ['GRAPH_AUTHORITY_HOST', 'GRAPH_BASE_URL'],
    to: (s) => [s.graph.authorityHost.href, s.graph.baseUrl.href],
  },
  PHONELINK_API_KEY: { by: ['PHONELINK_URL'], to: (s) => [s.phonelink.url?.href ?? null] },
  // Basic sends the password itself (NTLM only a response derived from it): switching to it counts.
  EWS_PASSWORD: {
    by: ['EWS_URL', 'EWS_SERVER', 'EWS_AUTH'],
    to: (s) => [s.ews.url?.href ?? null, s.ews.auth === 'basic' ? 'basic' : null],
  },
  // PHONE-LiNK sends this one to us: it has no destination to move.
  PHONELINK_WEBHOOK_SECRET: null,
};

/** The URL settings that receive a credential. */
const CREDENTIAL_URLS: readonly SettingName[] = [
  'GRAPH_AUTHORITY_HOST',
  'GRAPH_BASE_URL',
  'PHONELINK_URL',
  'EWS_URL',
];

/** The settings that say where EWS is and how the password goes there. */
const EWS_PLACE: readonly SettingName[] = ['EWS_AUTH', 'EWS_URL', 'EWS_SERVER'];

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopback(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

/** Whether `after` sends the credential somewhere `before` did not. */
function moved(destination: Destination, before: Settings, after: Settings): boolean {
  const was = destination.to(before);
  return destination.to(after).some((part, i) => part !== null && part !== was[i]);
}

export function destinationProblems(
  startup: Settings,
  before: Settings,
  after: Settings,
  write: SettingsWrite,
  /** Whether the secret in force after the write is one written at run time (not the start-up one). */
  storedAfter: (name: WritableSecretName) => boolean,
): DestinationProblem[] {
  const problems: DestinationProblem[] = [];
  for (const name of CREDENTIAL_URLS) {
    const url = write.plain.get(name);
    if (!(url instanceof URL) || url.href === urlOf(name, before)?.href) continue;
    if (url.protocol !== 'https:' && !isLoopback(url)) {
      problems.push({ name, problem: 'must be an https:// URL (it receives a credential)' });
    }
    const hosts = settingRow(name).hosts;
    const own = urlOf(name, startup)?.host;
    if (hosts !== undefined && !hosts.includes(url.host) && url.host !== own) {
      problems.push({ name, problem: `must be one of ${hosts.join(', ')} (or the deployment's own)` });
    }
  }
  const touchesEws = EWS_PLACE.some((n) => write.plain.has(n));
  const basic = basicAuthProblem(after);
  if (touchesEws && basic !== null) problems.push({ name: 'EWS_AUTH', problem: basic });
  for (const [credential, destination] of Object.entries(DESTINATIONS) as [
    WritableSecretName,
    Destination | null,
  ][]) {
    if (destination === null || typeof write.secrets.get(credential) === 'string') continue;
    if (secretOf(credential, after) === null) continue;
    // Where the deployment sends it is always fine; anywhere else needs the credential given with it.
    if (!moved(destination, startup, after)) continue;
    const touched = write.secrets.has(credential) || destination.by.some((n) => write.plain.has(n));
    // The start-up secret goes only where the deployment sends it, whoever moved the place before.
    if (moved(destination, before, after) || (touched && !storedAfter(credential))) {
      problems.push({
        name: credential,
        problem: `must be given again in the same request: ${destination.by.join(', ')} changed where it is sent`,
      });
    }
  }
  return problems;
}

function urlOf(name: SettingName, settings: Settings): URL | null {
  const value = settingRow(name).of(settings);
  return value instanceof URL ? value : null;
}

function secretOf(name: WritableSecretName, settings: Settings): unknown {
  return settingRow(name).of(settings);
}
