import { adminHandler, json } from '../shared/admin/admin-http.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { listUsers } from '../shared/admin/admin-users.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5 GET /api/users: integrated users, their availability now and why. */
export default defineHttp({
  name: 'users-http',
  route: 'users',
  methods: ['GET'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (_request, services) => json(200, await listUsers(services)),
  ),
});
