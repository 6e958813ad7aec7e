import { problem } from '../shared/admin/admin-http.ts';
import { adminPage } from '../shared/admin/admin-page.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/**
 * SPEC §5 GET /api/admin: the admin page. Served without the key; it holds no data until the key
 * is given. Azure Functions refuses route templates that begin with the literal "admin" (its own
 * /admin API), so the segment is matched by a constraint instead.
 */
export const adminPageHttp = defineHttp({
  name: 'admin-page-http',
  route: '{page:regex(^admin$)}',
  methods: ['GET'],
  handler: async (request) =>
    request.params.page?.toLowerCase() === 'admin' ? adminPage() : problem(404, 'not_found', 'Not found'),
});
