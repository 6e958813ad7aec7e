import { getServices } from '../shared/app/services.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';
import { graphWebhookOf } from '../shared/sync/sync-services.ts';

/** SPEC §5: Graph change notifications and the validation handshake. */
export const graphNotificationsHttp = defineHttp({
  name: 'graph-notifications-http',
  route: 'notifications/graph',
  methods: ['POST'],
  handler: (request) => graphWebhookOf(getServices()).notifications(request),
});
