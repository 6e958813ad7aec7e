import { getHealth } from '../shared/admin/admin-health.ts';
import { adminHandler, json } from '../shared/admin/admin-http.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** The health view: what is broken and what will break soon (subscriptions, calendars, credentials, PHONE-LiNK). */
export default defineHttp({
  name: 'health-http',
  route: 'health',
  methods: ['GET'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (_request, services) => json(200, await getHealth(services)),
  ),
});
