import { getServices } from '../shared/app/services.ts';
import { overrideHttp } from '../shared/presence-sync/override-http.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5: PHONE-LiNK tells us a user set their availability by hand (or cleared it). */
export default defineHttp({
  name: 'phonelink-override',
  route: 'phonelink/users/{id}/override',
  methods: ['POST'],
  handler: (request) => overrideHttp(getServices(), request),
});
