import type { Settings } from '../config/settings.ts';
import type { AdminLog } from '../log/admin-log.ts';
import type { CalendarSource } from './calendar-source.ts';
import { createEwsCalendarSource } from './ews/create-ews-source.ts';
import { GraphCalendarSource, type GraphSourceOptions } from './graph/graph-calendar-source.ts';
import { createGraphConnection } from './graph/graph-client.ts';

/** The one place that knows which Exchange adapter CALENDAR_SOURCE selects. */
export function createCalendarSource(
  settings: Settings,
  options: Pick<GraphSourceOptions, 'clientState' | 'renewable'> & { readonly log?: AdminLog } = {},
): CalendarSource {
  switch (settings.calendarSource) {
    case 'graph':
      return new GraphCalendarSource(
        createGraphConnection(settings.graph, settings.managedIdentityClientId),
        {
          callbackUrl: settings.callbackUrl,
          ...(options.clientState === undefined ? {} : { clientState: options.clientState }),
          ...(options.renewable === undefined ? {} : { renewable: options.renewable }),
        },
      );
    case 'ews':
      return createEwsCalendarSource(settings, options.log === undefined ? {} : { log: options.log });
  }
}
