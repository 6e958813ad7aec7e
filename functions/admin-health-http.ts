import { getHealth } from '../shared/admin/admin-health.ts';
import { json } from '../shared/admin/admin-http.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';

/** The health view: what is broken and what will break soon (subscriptions, calendars, credentials, PHONE-LiNK). */
export const adminHealthHttp = defineAdminHttp({
  name: 'admin-health-http',
  route: 'health',
  methods: ['GET'],
  handle: async (_request, admin) => json(200, await getHealth(admin)),
});
