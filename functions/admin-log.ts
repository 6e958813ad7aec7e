import { adminHandler, json, problem } from '../shared/admin/admin-http.ts';
import { readLog } from '../shared/admin/admin-log-view.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5 GET /api/log?after=<cursor>: the live log, oldest first after the cursor. */
export default defineHttp({
  name: 'log-http',
  route: 'log',
  methods: ['GET'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (request, services) => {
      const page = await readLog(services.logReader, request.query.get('after'));
      return page.ok ? json(200, page.value) : problem(400, 'input.invalid', page.error);
    },
  ),
});
