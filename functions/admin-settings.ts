import { adminHandler, json, problem, readJsonBody } from '../shared/admin/admin-http.ts';
import { adminServicesOf } from '../shared/admin/admin-services.ts';
import { readAdminSettings, writeAdminSettings } from '../shared/admin/admin-settings.ts';
import { followSettingsSoon, getServices, startupSettings } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5 GET/PUT /api/settings: SPEC §7 settings; secrets write-only. */
export default defineHttp({
  name: 'settings-http',
  route: 'settings',
  methods: ['GET', 'PUT'],
  handler: adminHandler(
    async () => adminServicesOf(getServices(), startupSettings()),
    async (request, services) => {
      if (request.method === 'GET') return json(200, await readAdminSettings(services));
      const body = await readJsonBody(request);
      if (!body.ok) return body.error;
      const result = await writeAdminSettings(services, body.value);
      // This instance rebuilds its adapters with the new settings at once; others within 30 s.
      if (result.ok) followSettingsSoon();
      return result.ok
        ? json(200, result.value)
        : problem(400, 'input.invalid', 'Some settings were not accepted', { problems: result.error });
    },
  ),
});
