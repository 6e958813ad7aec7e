import { getServices } from '../shared/app/services.ts';
import { wireMailboxCheck } from '../shared/app/wire-sync.ts';
import { defineTimer } from '../shared/runtime/define-function.ts';
import { MAILBOX_CHECK_SCHEDULE, runMailboxCheck } from '../shared/sync/check-mailboxes.ts';

/** Every 5 minutes: a hybrid organization's mailboxes that moved side are followed (nothing to do otherwise). */
export const mailboxCheckTimer = defineTimer({
  name: 'mailbox-check-timer',
  schedule: MAILBOX_CHECK_SCHEDULE,
  runOnStartup: false,
  handler: () => runMailboxCheck(wireMailboxCheck(getServices())),
});
