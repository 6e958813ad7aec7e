import type { Services } from './services.ts';

/** INTEGRATION_ENABLED as it is now: the admin API may have changed it since start-up. */
export async function integrationEnabled(services: Services): Promise<boolean> {
  const value = (await services.runtimeSettings.get()).INTEGRATION_ENABLED;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return services.settings.integrationEnabled;
}
