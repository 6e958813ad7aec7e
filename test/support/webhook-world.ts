import { type RunningAzurite, startAzurite } from '../../dev/azurite.ts';
import { createServices, type Services } from '../../shared/app/services.ts';
import { wireOverride } from '../../shared/app/wire-presence.ts';
import { wireEwsWebhook, wireGraphWebhook } from '../../shared/app/wire-webhooks.ts';
import { loadSettings } from '../../shared/config/load-settings.ts';
import type { AdminLog } from '../../shared/log/admin-log.ts';
import type { EwsWebhook } from '../../shared/notifications/ews-notifications.ts';
import type { GraphWebhook } from '../../shared/notifications/graph-notifications.ts';
import type { WebhookRequest } from '../../shared/notifications/graph-webhook-http.ts';
import type { OverrideDeps } from '../../shared/presence-sync/override-http.ts';
import type { SubscriptionStore } from '../../shared/storage/stores.ts';

/**
 * Both anonymous webhooks as production wires them, over Azurite, with every call at the store
 * boundary (subscription store and log) counted: what an anonymous request costs in storage.
 */
export interface WebhookWorld {
  readonly services: Services;
  readonly graph: GraphWebhook;
  readonly ews: EwsWebhook;
  /** The override route's parts as production wires them. */
  readonly override: OverrideDeps;
  /** Storage operations made through the subscription store and the log, by name. */
  readonly operations: string[];
  stop(): Promise<void>;
}

export const ADMIN_KEY = 'webhook-world-admin-key-0123456789abcdef';
export const WEBHOOK_SECRET = 'webhook-world-webhook-secret-0123456789';

export async function startWebhookWorld(env: Readonly<Record<string, string>> = {}): Promise<WebhookWorld> {
  const azurite: RunningAzurite = await startAzurite();
  const settings = loadSettings({
    AzureWebJobsStorage: azurite.connectionString,
    ADMIN_API_KEY: ADMIN_KEY,
    PHONELINK_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...env,
  });
  const operations: string[] = [];
  const plain = createServices(settings);
  const subscriptions = counting(plain.subscriptions, 'subscriptions', operations);
  const log = counting(plain.log, 'log', operations);
  const services = createServices(settings, { subscriptions, log });
  return {
    services,
    graph: wireGraphWebhook(services),
    ews: wireEwsWebhook(services),
    override: wireOverride(services),
    operations,
    stop: () => azurite.stop(),
  };
}

/** `target` with each method call recorded as `<name>.<method>` before it runs. */
function counting<T extends SubscriptionStore | AdminLog>(target: T, name: string, calls: string[]): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(property)}`);
        return Reflect.apply(value, object, args);
      };
    },
  });
}

export function webhookRequest(body: string, query = ''): WebhookRequest {
  return {
    query: new URLSearchParams(query),
    headers: new Headers({ 'content-type': 'application/json' }),
    body: new Blob([body]).stream(),
  };
}
