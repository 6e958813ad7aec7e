import type { LifecycleEventType } from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import { externalId, wellFormedText } from '../runtime/external-id.ts';

/** What a Graph notification POST may hold; anything else is a 400 with the reason. */
const notification = z.object({
  // A lone surrogate in an id or state is no text Graph sends: 400, before any lookup.
  subscriptionId: externalId.max(200),
  clientState: wellFormedText.max(512).nullish(),
  changeType: z.string().max(100).nullish(),
  resource: z.string().max(2_000).nullish(),
  tenantId: z.string().max(100).nullish(),
  subscriptionExpirationDateTime: z.string().max(100).nullish(),
});

export const changeNotifications = z.object({
  value: z.array(notification).min(1).max(1_000),
});

const LIFECYCLE_EVENTS = [
  'reauthorizationRequired',
  'subscriptionRemoved',
  'missed',
] as const satisfies readonly LifecycleEventType[];

export const lifecycleNotifications = z.object({
  value: z
    .array(
      notification.extend({
        // An event this version does not know is ignored, not refused: Graph may add some.
        lifecycleEvent: z.string().max(100),
      }),
    )
    .min(1)
    .max(1_000),
});

export type GraphLifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

export function lifecycleEventOf(value: string): GraphLifecycleEvent | null {
  return LIFECYCLE_EVENTS.find((event) => event.toLowerCase() === value.toLowerCase()) ?? null;
}
