import { json, problem, readJsonBody } from '../shared/admin/admin-http.ts';
import { readAdminSettings, writeAdminSettings } from '../shared/admin/admin-settings.ts';
import { defineAdminHttp } from '../shared/app/define-admin-http.ts';
import { followSettingsSoon } from '../shared/app/services.ts';

/** SPEC §5 GET/PUT /api/settings: SPEC §7 settings; secrets write-only. */
export const adminSettingsHttp = defineAdminHttp({
  name: 'admin-settings-http',
  route: 'settings',
  methods: ['GET', 'PUT'],
  handle: async (request, admin) => {
    if (request.method === 'GET') return json(200, await readAdminSettings(admin));
    const body = await readJsonBody(request);
    if (!body.ok) return body.error;
    const result = await writeAdminSettings(admin, body.value);
    // This instance rebuilds its adapters with the new settings at once; others within 30 s.
    if (result.ok) followSettingsSoon();
    return result.ok
      ? json(200, result.value)
      : problem(400, 'input.invalid', 'Some settings were not accepted', { problems: result.error });
  },
});
