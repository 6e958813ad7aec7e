import type { Settings } from '../../config/settings.ts';
import { AppError } from '../../errors.ts';
import { EwsCalendarSource, type EwsSourceOptions } from './ews-calendar-source.ts';
import { EwsTransport } from './ews-transport.ts';

/** The EWS adapter from SPEC §7's settings (EWS_URL or EWS_SERVER, EWS_USERNAME, EWS_PASSWORD, EWS_AUTH). */
export function createEwsCalendarSource(
  settings: Pick<Settings, 'ews' | 'callbackUrl'>,
  options: Omit<EwsSourceOptions, 'callbackUrl'> & { readonly ca?: string } = {},
): EwsCalendarSource {
  const { url, username, password, auth } = settings.ews;
  if (url === null) throw new AppError('config.invalid', 'EWS_SERVER or EWS_URL is not set');
  if (username === null) throw new AppError('config.invalid', 'EWS_USERNAME is not set');
  if (password === null) throw new AppError('config.invalid', 'EWS_PASSWORD is not set');
  const { ca, ...sourceOptions } = options;
  const transport = new EwsTransport({ url, auth, username, password, ca });
  return new EwsCalendarSource(transport, { ...sourceOptions, callbackUrl: settings.callbackUrl });
}
