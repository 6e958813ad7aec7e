import type { ExchangeSimulator } from './exchange-simulator.ts';

/** The SPEC §7 settings that point the app's Graph path at this simulator, for one registered client. */
export function graphSettingsFor(
  exchange: Pick<ExchangeSimulator, 'tenantId' | 'graphBaseUrl' | 'authorityHost'>,
  client: { readonly clientId: string; readonly clientSecret: string },
): Record<string, string> {
  return {
    GRAPH_TENANT_ID: exchange.tenantId,
    GRAPH_CLIENT_ID: client.clientId,
    GRAPH_CLIENT_SECRET: client.clientSecret,
    GRAPH_BASE_URL: exchange.graphBaseUrl,
    GRAPH_AUTHORITY_HOST: exchange.authorityHost,
  };
}
