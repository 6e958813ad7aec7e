import { fail, ok, type Result } from '../errors.ts';
import type { AdminDeps } from './admin-deps.ts';
import { loadEffectiveSettings } from './effective-settings.ts';

/** SPEC §5 POST /api/scan ("Force now"): queue a full scan now. Refused while the integration is not activated. */
export async function forceScan(services: AdminDeps): Promise<Result<{ readonly accepted: true }, string>> {
  const settings = await loadEffectiveSettings(
    services.settings,
    services.runtimeSettings,
    services.secretVault,
  );
  if (!settings.integrationEnabled) return fail('The integration is not activated: activate it first');
  await services.log.write('Force now: scan requested by the administrator');
  await services.requestScan('force');
  return ok({ accepted: true });
}
