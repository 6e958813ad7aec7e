import { adminHandler, json, problem } from '../shared/admin/admin-http.ts';
import { forceScan } from '../shared/admin/admin-scan.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5 POST /api/scan: "Force now", answered 202 once the scan is queued. */
export default defineHttp({
  name: 'scan-http',
  route: 'scan',
  methods: ['POST'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (_request, services) => {
      const result = await forceScan(services);
      return result.ok ? json(202, result.value) : problem(409, 'integration.disabled', result.error);
    },
  ),
});
