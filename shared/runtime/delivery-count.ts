import type { InvocationContext } from '@azure/functions';

/** How many times the queue has delivered the message being handled (null: not a queue trigger). */
export function deliveryCount(context: InvocationContext): number | null {
  const value = context.triggerMetadata?.dequeueCount;
  return typeof value === 'number' ? value : null;
}

/** A message delivered again: an earlier run of it stopped before it completed. */
export function isRedelivery(context: InvocationContext): boolean {
  return (deliveryCount(context) ?? 1) > 1;
}
