import { mergeSettings } from '../admin/effective-settings.ts';
import { FreshRead } from '../runtime/fresh-read.ts';
import type { RuntimeSettingsStore } from '../storage/stores.ts';
import type { Services } from './services.ts';

/**
 * "Activate" (INTEGRATION_ENABLED) as it is now: every worker reads it here, from the runtime
 * settings the admin API writes, merged over the start-up value as the admin API itself reads
 * it (loadEffectiveSettings). Never a copy kept in memory: a push must not go out once it is
 * unticked. The recalculations of a scan ask at once; they share reads, each begun after it asked.
 */
export async function integrationEnabled(services: Services): Promise<boolean> {
  return mergeSettings(services.startup, await freshReadOf(services.runtimeSettings).get(), new Map())
    .integrationEnabled;
}

type Stored = Awaited<ReturnType<RuntimeSettingsStore['get']>>;
const reads = new WeakMap<RuntimeSettingsStore, FreshRead<Stored>>();
function freshReadOf(store: RuntimeSettingsStore): FreshRead<Stored> {
  let found = reads.get(store);
  if (found === undefined) {
    found = new FreshRead(() => store.get());
    reads.set(store, found);
  }
  return found;
}
