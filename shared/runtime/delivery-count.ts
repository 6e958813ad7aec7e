import type { InvocationContext } from '@azure/functions';

/** Room for the storage service's clock against this instance's. */
const CLOCK_MARGIN_MS = 60_000;

/** How many times the queue has delivered the message being handled (null: not a queue trigger). */
export function deliveryCount(context: InvocationContext): number | null {
  const value = context.triggerMetadata?.dequeueCount;
  return typeof value === 'number' ? value : null;
}

/**
 * For a message delivered again (an earlier run of it stopped before completing): the instant
 * from which that run may have done work, i.e. when the message was put on the queue (less a
 * margin; 0 when the host does not say). Undefined on a first delivery.
 */
export function redeliveredSince(context: InvocationContext): number | undefined {
  if ((deliveryCount(context) ?? 1) <= 1) return undefined;
  const inserted = context.triggerMetadata?.insertionTime;
  const at =
    inserted instanceof Date
      ? inserted.getTime()
      : typeof inserted === 'string'
        ? Date.parse(inserted)
        : Number.NaN;
  return Number.isNaN(at) ? 0 : at - CLOCK_MARGIN_MS;
}
