import { json, problem } from '../shared/admin/admin-http.ts';
import { readLog } from '../shared/admin/admin-log-view.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';

/** SPEC §5 GET /api/log?after=<cursor>: the live log, oldest first after the cursor. */
export const adminLogHttp = defineAdminHttp({
  name: 'admin-log-http',
  route: 'log',
  methods: ['GET'],
  handle: async (request, admin) => {
    const page = await readLog(admin.logReader, request.query.get('after'));
    return page.ok ? json(200, page.value) : problem(400, 'input.invalid', page.error);
  },
});
