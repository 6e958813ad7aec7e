import { adminHandler, json } from '../shared/admin/admin-http.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { getStatus } from '../shared/admin/admin-status.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5 GET /api/status: online; offline with the cause; disabled. */
export default defineHttp({
  name: 'status-http',
  route: 'status',
  methods: ['GET'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (_request, services) => json(200, await getStatus(services)),
  ),
});
