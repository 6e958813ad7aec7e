import { z } from 'zod';
import { AVAILABILITIES, SENSITIVITIES, SHOW_AS } from '../presence/model.ts';

/**
 * Zod schemas for the JSON the stores keep in table properties: what comes back from storage is
 * parsed like any other input, so a row written by an older version fails loudly, not subtly.
 */
export const appointmentRecord = z.object({
  id: z.string(),
  subject: z.string(),
  start: z.number(),
  end: z.number(),
  isAllDay: z.boolean(),
  showAs: z.enum(SHOW_AS),
  isCancelled: z.boolean(),
  isDeclined: z.boolean(),
  sensitivity: z.enum(SENSITIVITIES),
});

export const outOfOfficeRecord = z.discriminatedUnion('status', [
  z.object({ status: z.literal('disabled'), internalReplyHtml: z.string().nullable() }),
  z.object({ status: z.literal('enabled'), internalReplyHtml: z.string().nullable() }),
  z.object({
    status: z.literal('scheduled'),
    start: z.number(),
    end: z.number(),
    internalReplyHtml: z.string().nullable(),
  }),
]);

export const presenceBodyRecord = z.object({
  availability: z.enum(AVAILABILITIES),
  greeting: z.enum(['standard', 'absence']),
  until: z.string().nullable(),
  note: z.string().nullable(),
  absence: z.object({ message: z.string().nullable(), returnsAt: z.string().nullable() }).nullable(),
  source: z.enum(['calendar', 'override']),
});

export const overrideRecord = z.object({ availability: z.enum(AVAILABILITIES), setAt: z.number() });

export const subscriptionRecord = z.object({
  id: z.string(),
  userId: z.string(),
  source: z.enum(['graph', 'ews']),
  expiresAt: z.number().nullable(),
  clientState: z.string().nullable(),
  watermark: z.string().nullable(),
});

/** Optional table properties: absent and null read the same. */
export const optionalNumber = z
  .number()
  .nullish()
  .transform((v) => v ?? null);
export const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
