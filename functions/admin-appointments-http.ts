import { json, problem } from '../shared/admin/admin-http.ts';
import { userAppointments } from '../shared/admin/admin-users.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';
import { isExternalId } from '../shared/runtime/external-id.ts';

/** SPEC §5 GET /api/users/{id}/appointments: the "advanced tab" of one user. */
export const adminAppointmentsHttp = defineAdminHttp({
  name: 'admin-appointments-http',
  route: 'users/{id}/appointments',
  methods: ['GET'],
  handle: async (request, admin) => {
    const userId = request.params.id ?? '';
    if (!isExternalId(userId)) return problem(400, 'input.invalid', 'The user id is no valid id');
    const view = await userAppointments(admin, userId);
    return view === null ? problem(404, 'not_found', 'No such user') : json(200, view);
  },
});
