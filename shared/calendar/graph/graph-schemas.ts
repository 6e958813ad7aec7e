import type {
  AutomaticRepliesStatus,
  FreeBusyStatus,
  Sensitivity as GraphSensitivity,
  LifecycleEventType,
} from '@microsoft/microsoft-graph-types';
import { z } from 'zod';

/**
 * What we accept from Microsoft Graph. Every answer is `unknown` until one of these parses it.
 * Enumerations are matched case-insensitively: Exchange sometimes answers `Scheduled`, `Busy`.
 */
function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map(values.map((value) => [value.toLowerCase(), value] as const));
  return z.string().transform((raw, ctx): T[number] => {
    const value = byLower.get(raw.toLowerCase());
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `unexpected value "${raw}"` });
      return z.NEVER;
    }
    return value;
  });
}

const FREE_BUSY = [
  'free',
  'tentative',
  'busy',
  'oof',
  'workingElsewhere',
  'unknown',
] as const satisfies readonly FreeBusyStatus[];
const SENSITIVITY = [
  'normal',
  'personal',
  'private',
  'confidential',
] as const satisfies readonly GraphSensitivity[];
const AUTOMATIC_REPLIES = [
  'disabled',
  'alwaysEnabled',
  'scheduled',
] as const satisfies readonly AutomaticRepliesStatus[];
export const LIFECYCLE_EVENTS = [
  'reauthorizationRequired',
  'subscriptionRemoved',
  'missed',
] as const satisfies readonly LifecycleEventType[];

export const dateTimeTimeZone = z.object({
  dateTime: z.string(),
  timeZone: z.string().nullish(),
});
export type GraphDateTimeTimeZone = z.infer<typeof dateTimeTimeZone>;

export const graphEvent = z.object({
  id: z.string().min(1),
  subject: z.string().nullish(),
  start: dateTimeTimeZone,
  end: dateTimeTimeZone,
  isAllDay: z.boolean().nullish(),
  // Unknown future values count as "unknown" (they do not count for presence) rather than failing the read.
  showAs: z
    .string()
    .nullish()
    .transform((raw) => FREE_BUSY.find((value) => value.toLowerCase() === raw?.toLowerCase()) ?? 'unknown'),
  isCancelled: z.boolean().nullish(),
  sensitivity: z
    .string()
    .nullish()
    .transform((raw) => SENSITIVITY.find((value) => value.toLowerCase() === raw?.toLowerCase()) ?? 'normal'),
  responseStatus: z.object({ response: z.string().nullish() }).nullish(),
});
export type GraphEvent = z.infer<typeof graphEvent>;

export const calendarViewPage = z.object({
  value: z.array(graphEvent),
  '@odata.nextLink': z.string().nullish(),
});

export const mailboxSettings = z.object({
  timeZone: z.string().nullish(),
  automaticRepliesSetting: z
    .object({
      status: caseInsensitiveEnum(AUTOMATIC_REPLIES),
      scheduledStartDateTime: dateTimeTimeZone.nullish(),
      scheduledEndDateTime: dateTimeTimeZone.nullish(),
      internalReplyMessage: z.string().nullish(),
    })
    .nullish(),
});
export type GraphMailboxSettings = z.infer<typeof mailboxSettings>;

export const graphSubscription = z.object({
  id: z.string().min(1),
  expirationDateTime: z.string(),
  clientState: z.string().nullish(),
});

export const batchResponse = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.unknown()).nullish(),
      body: z.unknown().optional(),
    }),
  ),
});

/** The error body Graph sends with 4xx/5xx, also inside $batch. */
export const graphErrorBody = z.object({
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }),
});

export const tokenClaims = z.object({
  tid: z.string().optional(),
  /** The application permissions granted (app-only tokens). */
  roles: z.array(z.string()).optional(),
});

const directoryUser = z.object({
  id: z.string().min(1),
  mail: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
});

/** `GET /users?$filter=…&$select=id,mail,userPrincipalName`. */
export const directoryUsersPage = z.object({ value: z.array(directoryUser) });

/** `GET /users?$select=id,mail,userPrincipalName,proxyAddresses&$top=999`, paged. */
export const directoryListPage = z.object({
  value: z.array(directoryUser.extend({ proxyAddresses: z.array(z.string()).nullish() })),
  '@odata.nextLink': z.string().nullish(),
});
