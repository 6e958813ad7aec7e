import { adminHandler, json, problem } from '../shared/admin/admin-http.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { userAppointments } from '../shared/admin/admin-users.ts';
import { getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';
import { isExternalId } from '../shared/runtime/external-id.ts';

/** SPEC §5 GET /api/users/{id}/appointments: the "advanced tab" of one user. */
export default defineHttp({
  name: 'user-appointments-http',
  route: 'users/{id}/appointments',
  methods: ['GET'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (request, services) => {
      const userId = request.params.id ?? '';
      if (!isExternalId(userId)) return problem(400, 'input.invalid', 'The user id is no valid id');
      const view = await userAppointments(services, userId);
      return view === null ? problem(404, 'not_found', 'No such user') : json(200, view);
    },
  ),
});
