import type { Services } from './services.ts';

/**
 * Some of the services, read through: each property is looked up on `services` when it is read,
 * so making the view builds no store or client that a request then does not use.
 */
export function servicesView<K extends keyof Services>(
  services: Services,
  keys: readonly K[],
): Pick<Services, K> {
  const view: Partial<Pick<Services, K>> = {};
  for (const key of keys) {
    Object.defineProperty(view, key, { enumerable: true, get: () => services[key] });
  }
  // Every key of K was defined above.
  return view as Pick<Services, K>;
}
