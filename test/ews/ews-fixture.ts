import type { EwsServiceAccount, EwsSim, EwsSimOptions } from '../../dev/exchange-sim/ews/ews-sim.ts';
import { mountEws } from '../../dev/exchange-sim/ews/mount-ews.ts';
import {
  type ExchangeSimulator,
  startExchangeSimulator,
} from '../../dev/exchange-sim/graph/exchange-simulator.ts';
import type { Mailboxes } from '../../dev/exchange-sim/mailboxes.ts';
import { EwsCalendarSource, type EwsSourceOptions } from '../../shared/calendar/ews/ews-calendar-source.ts';
import { EwsTransport } from '../../shared/calendar/ews/ews-transport.ts';
import { Secret } from '../../shared/config/secret.ts';
import type { AdminLog, LogLevel } from '../../shared/log/admin-log.ts';

/** The service account: NTLM down-level name, holding ApplicationImpersonation. */
export const SERVICE_ACCOUNT: EwsServiceAccount = {
  username: 'CONTOSO\\svc-presence',
  password: 'Sp4ce-and-quote "ok"',
  impersonation: true,
};

/** An account that may sign in but not impersonate. */
export const PLAIN_ACCOUNT: EwsServiceAccount = {
  username: 'svc-plain@contoso.com',
  password: 'plain-Password-1',
  impersonation: false,
};

export interface EwsWorld {
  readonly exchange: ExchangeSimulator;
  readonly mailboxes: Mailboxes;
  readonly sim: EwsSim;
  readonly url: URL;
  /** The adapter as create-calendar-source builds it, trusting the local CA. */
  source(
    options?: Partial<EwsSourceOptions> & {
      readonly auth?: 'ntlm' | 'basic';
      readonly username?: string;
      readonly password?: string;
    },
  ): EwsCalendarSource;
  stop(): Promise<void>;
}

export async function startEwsWorld(
  options: { readonly sim?: Partial<EwsSimOptions>; readonly now?: () => number } = {},
): Promise<EwsWorld> {
  const exchange = await startExchangeSimulator({ tenantId: 'contoso', clients: [] });
  const { sim, url } = mountEws(exchange, { accounts: [SERVICE_ACCOUNT, PLAIN_ACCOUNT], ...options.sim });
  const transports: EwsTransport[] = [];
  return {
    exchange,
    mailboxes: exchange.mailboxes,
    sim,
    url,
    source: (sourceOptions = {}) => {
      const { auth, username, password, ...rest } = sourceOptions;
      const transport = new EwsTransport({
        url,
        auth: auth ?? 'ntlm',
        username: username ?? SERVICE_ACCOUNT.username,
        password: new Secret(password ?? SERVICE_ACCOUNT.password),
        ca: exchange.caPem,
      });
      transports.push(transport);
      return new EwsCalendarSource(transport, { callbackUrl: null, sleep: async () => {}, ...rest });
    },
    stop: async () => {
      for (const transport of transports) transport.close();
      sim.close();
      await exchange.stop();
    },
  };
}

/** An AdminLog that keeps its lines. */
export class MemoryLog implements AdminLog {
  readonly lines: { line: string; level: LogLevel }[] = [];
  async write(line: string, level: LogLevel = 'info'): Promise<void> {
    this.lines.push({ line, level });
  }
  text(): string[] {
    return this.lines.map((entry) => entry.line);
  }
}
