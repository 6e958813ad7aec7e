import { mergeSettings } from '../admin/effective-settings.ts';
import type { Services } from './services.ts';

/**
 * "Activate" (INTEGRATION_ENABLED) as it is now: every worker reads it here, from the runtime
 * settings the admin API writes, merged over the start-up value as the admin API itself reads
 * it (loadEffectiveSettings). Never a copy kept in memory: a push must not go out once it is unticked.
 */
export async function integrationEnabled(services: Services): Promise<boolean> {
  return mergeSettings(services.startup, await services.runtimeSettings.get(), new Map()).integrationEnabled;
}
