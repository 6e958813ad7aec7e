import { json } from '../shared/admin/admin-http.ts';
import { listUsers } from '../shared/admin/admin-users.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';

/** SPEC §5 GET /api/users: integrated users, their availability now and why. */
export const adminUsersHttp = defineAdminHttp({
  name: 'admin-users-http',
  route: 'users',
  methods: ['GET'],
  handle: async (_request, admin) => json(200, await listUsers(admin)),
});
