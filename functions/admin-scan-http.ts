import { json, problem } from '../shared/admin/admin-http.ts';
import { forceScan } from '../shared/admin/admin-scan.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';

/** SPEC §5 POST /api/scan: "Force now", answered 202 once the scan is queued. */
export const adminScanHttp = defineAdminHttp({
  name: 'admin-scan-http',
  route: 'scan',
  methods: ['POST'],
  handle: async (_request, admin) => {
    const result = await forceScan(admin);
    return result.ok ? json(202, result.value) : problem(409, 'integration.disabled', result.error);
  },
});
