import { getServices } from '../shared/app/services.ts';
import { wireOverride } from '../shared/app/wire-presence.ts';
import { overrideHttp } from '../shared/presence-sync/override-http.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5: PHONE-LiNK tells us a user set their availability by hand (or cleared it). */
export const phonelinkOverrideHttp = defineHttp({
  name: 'phonelink-override-http',
  route: 'phonelink/users/{id}/override',
  methods: ['POST'],
  handler: (request) => overrideHttp(wireOverride(getServices()), request),
});
