import type { MailboxCalendar } from '../calendar/calendar-source.ts';
import type { Result } from '../errors.ts';
import { provenWatermarks, withProvenWatermark } from '../notifications/ews-event-watermarks.ts';
import type { CalendarSyncMessage } from '../queues/messages.ts';
import type { SubscriptionStore } from '../storage/stores.ts';

/**
 * Keeps the EWS event watermarks of the users this job has read (notifications/ews-event-watermarks.ts): their
 * events are safe, so a resume need not replay them. A failure to write costs only a few
 * events sent again on resume, so it never fails the job.
 */
export async function keepProvenWatermarks(
  subscriptions: SubscriptionStore,
  message: CalendarSyncMessage,
  calendars: ReadonlyMap<string, Result<MailboxCalendar>>,
): Promise<void> {
  const proven = provenWatermarks(
    message.ewsWatermarks ?? [],
    (userId) => calendars.get(userId)?.ok === true,
  );
  await Promise.all(
    proven
      .map(async (watermark) => {
        const current = await subscriptions.getByUser(watermark.userId);
        const updated = withProvenWatermark(current, watermark);
        if (updated !== null) await subscriptions.put(updated, current);
      })
      .map((write) => write.catch(() => undefined)),
  );
}
