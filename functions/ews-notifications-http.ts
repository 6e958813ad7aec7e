import { getServices } from '../shared/app/services.ts';
import { wireEwsWebhook } from '../shared/app/wire-webhooks.ts';
import { defineHttp } from '../shared/runtime/define-function.ts';

/** SPEC §5: EWS push notifications (SendNotification) from on-premises Exchange. */
export const ewsNotificationsHttp = defineHttp({
  name: 'ews-notifications-http',
  route: 'notifications/ews',
  methods: ['POST'],
  handler: (request) => wireEwsWebhook(getServices()).notifications(request),
});
