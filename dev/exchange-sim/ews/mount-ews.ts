import type { ExchangeSimulator } from '../graph/exchange-simulator.ts';
import { EwsSim, type EwsSimOptions } from './ews-sim.ts';

/** The EWS path; IIS matches it without regard to case. */
export const EWS_PATH = '/ews/exchange.asmx';

export interface MountedEws {
  readonly sim: EwsSim;
  /** EWS_URL: `https://127.0.0.1:<port>/ews/exchange.asmx`. */
  readonly url: URL;
}

const mounted = new WeakMap<ExchangeSimulator, MountedEws>();

/** The EWS front-end mounted on `simulator`, if any (tests reach it through the simulator they hold). */
export function mountedEws(simulator: ExchangeSimulator): MountedEws | undefined {
  return mounted.get(simulator);
}

/** Adds the EWS front-end to the simulated Exchange's HTTPS port, over the same mailboxes. */
export function mountEws(simulator: ExchangeSimulator, options: EwsSimOptions): MountedEws {
  const sim = new EwsSim(simulator.mailboxes, options);
  simulator.mount('/ews/', (req, res) => {
    const path = new URL(req.url ?? '/', simulator.origin).pathname.toLowerCase();
    if (path !== EWS_PATH) {
      res.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    sim.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-length': '0' }).end();
    });
  });
  const result = { sim, url: new URL(`${simulator.origin}${EWS_PATH}`) };
  mounted.set(simulator, result);
  return result;
}

/**
 * EWS for the offline demo and the end-to-end tests: mounted with one service account holding
 * ApplicationImpersonation, and the SPEC §7 settings that point the service at it.
 */
export function mountEwsWithSettings(
  simulator: ExchangeSimulator,
  account: { readonly username: string; readonly password: string },
  options: Omit<EwsSimOptions, 'accounts'> = {},
): MountedEws & { readonly settings: Readonly<Record<string, string>> } {
  const mountedEws = mountEws(simulator, { ...options, accounts: [{ ...account, impersonation: true }] });
  return {
    ...mountedEws,
    settings: {
      CALENDAR_SOURCE: 'ews',
      EWS_URL: mountedEws.url.href,
      EWS_USERNAME: account.username,
      EWS_PASSWORD: account.password,
      EWS_AUTH: 'ntlm',
    },
  };
}
