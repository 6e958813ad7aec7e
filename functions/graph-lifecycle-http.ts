import { getServices } from '../shared/app/services.ts';
import { wireGraphWebhook } from '../shared/app/wire-webhooks.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5: Graph lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed) and the handshake. */
export const graphLifecycleHttp = defineHttp({
  name: 'graph-lifecycle-http',
  route: 'notifications/graph/lifecycle',
  methods: ['POST'],
  handler: (request) => wireGraphWebhook(getServices()).lifecycle(request),
});
