import { getServices } from '../shared/app/services.ts';
import { wireGraphWebhook } from '../shared/app/wire-webhooks.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5: Graph change notifications and the validation handshake. */
export const graphNotificationsHttp = defineHttp({
  name: 'graph-notifications-http',
  route: 'notifications/graph',
  methods: ['POST'],
  handler: (request) => wireGraphWebhook(getServices()).notifications(request),
});
