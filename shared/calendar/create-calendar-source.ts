import type { Settings } from '../config/settings.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { CalendarSource } from './calendar-source.ts';
import { createEwsCalendarSource } from './ews/create-ews-source.ts';
import { GraphCalendarSource, type GraphSourceOptions } from './graph/graph-calendar-source.ts';
import { createGraphConnection } from './graph/graph-client.ts';
import { HybridCalendarSource, type HybridSourceOptions } from './hybrid/hybrid-calendar-source.ts';

export type CalendarSourceOptions = Pick<GraphSourceOptions, 'clientState' | 'renewable' | 'now'> & {
  readonly log?: AdminLog;
  /** What the hybrid router needs beside its two sides (CALENDAR_SOURCE=hybrid only). */
  readonly hybrid?: Omit<HybridSourceOptions, 'graph' | 'ews'>;
};

/** The one place that knows which Exchange adapter CALENDAR_SOURCE selects. */
export function createCalendarSource(
  settings: Settings,
  options: CalendarSourceOptions = {},
): CalendarSource {
  switch (settings.calendarSource) {
    case 'graph':
      return graphSource(settings, options);
    case 'ews':
      return createEwsCalendarSource(settings, options.log === undefined ? {} : { log: options.log });
    case 'hybrid': {
      if (options.hybrid === undefined) throw new Error('the hybrid source needs its route store');
      return new HybridCalendarSource({
        ...options.hybrid,
        graph: graphSource(settings, options),
        ews: createEwsCalendarSource(settings, { log: options.hybrid.log }),
      });
    }
  }
}

function graphSource(settings: Settings, options: CalendarSourceOptions): GraphCalendarSource {
  return new GraphCalendarSource(createGraphConnection(settings.graph, settings.managedIdentityClientId), {
    callbackUrl: settings.callbackUrl,
    ...(options.clientState === undefined ? {} : { clientState: options.clientState }),
    ...(options.renewable === undefined ? {} : { renewable: options.renewable }),
    // Subscription expiries on the clock the product is given (a test's days pass in seconds).
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
