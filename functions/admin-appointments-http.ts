import { json, problem } from '../shared/admin/admin-http.ts';
import { userAppointments } from '../shared/admin/admin-users.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';

/** SPEC §5 GET /api/users/{id}/appointments: the "advanced tab" of one user. */
export const adminAppointmentsHttp = defineAdminHttp({
  name: 'admin-appointments-http',
  route: 'users/{id}/appointments',
  methods: ['GET'],
  handle: async (request, admin) => {
    const view = await userAppointments(admin, request.params.id ?? '');
    return view === null ? problem(404, 'not_found', 'No such user') : json(200, view);
  },
});
