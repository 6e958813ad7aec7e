import { adminHandler, json, problem } from '../shared/admin/admin-http.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { userAppointments } from '../shared/admin/admin-users.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5 GET /api/users/{id}/appointments: the "advanced tab" of one user. */
export default defineHttp({
  name: 'user-appointments-http',
  route: 'users/{id}/appointments',
  methods: ['GET'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (request, services) => {
      const view = await userAppointments(services, request.params.id ?? '');
      return view === null ? problem(404, 'not_found', 'No such user') : json(200, view);
    },
  ),
});
