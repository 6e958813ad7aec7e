import { json } from '../shared/admin/admin-http.ts';
import { getStatus } from '../shared/admin/admin-status.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';

/** SPEC §5 GET /api/status: online; offline with the cause; disabled. */
export const adminStatusHttp = defineAdminHttp({
  name: 'admin-status-http',
  route: 'status',
  methods: ['GET'],
  handle: async (_request, admin) => json(200, await getStatus(admin)),
});
