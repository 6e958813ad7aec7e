import { z } from 'zod';
import { toIsoSeconds } from '../../presence/instant.ts';
import { escapeXml } from '../../xml/safe-xml.ts';
import { oneOrMany, xmlText } from '../../xml/xml-schemas.ts';
import type { CalendarWindow } from '../calendar-source.ts';
import { responseMessageBase } from './ews-soap.ts';

/**
 * The EWS operations the adapter uses: each request body, and the schema of its answer
 * (the element inside soap:Body, namespace prefixes removed).
 */

/** Deletions from Outlook arrive as MovedEvent (to Deleted Items), so all five kinds are needed. */
export const PUSH_EVENT_TYPES = [
  'CreatedEvent',
  'ModifiedEvent',
  'DeletedEvent',
  'MovedEvent',
  'CopiedEvent',
];

const CALENDAR_FIELDS = [
  'item:Subject',
  'item:Sensitivity',
  'calendar:Start',
  'calendar:End',
  'calendar:IsAllDayEvent',
  'calendar:LegacyFreeBusyStatus',
  'calendar:IsCancelled',
  'calendar:MyResponseType',
  'calendar:StartTimeZone',
];

/** A connectivity check that reads no mailbox but carries ServerVersionInfo like every answer. */
export function getServerTimeZonesBody(): string {
  return '<m:GetServerTimeZones ReturnFullTimeZoneData="false"><m:Ids><t:Id>UTC</t:Id></m:Ids></m:GetServerTimeZones>';
}

/** The impersonated user's calendar (no Mailbox element: impersonation decides whose). */
export function findCalendarItemsBody(window: CalendarWindow, maxEntries: number): string {
  const fields = CALENDAR_FIELDS.map((field) => `<t:FieldURI FieldURI="${field}"/>`).join('');
  return (
    '<m:FindItem Traversal="Shallow">' +
    `<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${fields}</t:AdditionalProperties></m:ItemShape>` +
    `<m:CalendarView MaxEntriesReturned="${maxEntries}" StartDate="${toIsoSeconds(window.start)}" EndDate="${toIsoSeconds(window.end)}"/>` +
    '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds>' +
    '</m:FindItem>'
  );
}

export function getUserOofSettingsBody(email: string): string {
  return `<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>${escapeXml(email)}</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`;
}

/**
 * The mailbox's own time zone lives in the OWA.UserOptions configuration of its root folder
 * (what Set-MailboxRegionalConfiguration writes, and what Outlook on the web shows).
 */
export function getRegionalConfigurationBody(): string {
  return (
    '<m:GetUserConfiguration><m:UserConfigurationName Name="OWA.UserOptions">' +
    '<t:DistinguishedFolderId Id="root"/></m:UserConfigurationName>' +
    '<m:UserConfigurationProperties>Dictionary</m:UserConfigurationProperties></m:GetUserConfiguration>'
  );
}

export function subscribeBody(
  callbackUrl: string,
  statusFrequencyMinutes: number,
  watermark: string | null,
): string {
  const events = PUSH_EVENT_TYPES.map((type) => `<t:EventType>${type}</t:EventType>`).join('');
  return (
    '<m:Subscribe><m:PushSubscriptionRequest>' +
    '<t:FolderIds><t:DistinguishedFolderId Id="calendar"/></t:FolderIds>' +
    `<t:EventTypes>${events}</t:EventTypes>` +
    (watermark === null ? '' : `<t:Watermark>${escapeXml(watermark)}</t:Watermark>`) +
    `<t:StatusFrequency>${statusFrequencyMinutes}</t:StatusFrequency>` +
    `<t:URL>${escapeXml(callbackUrl)}</t:URL>` +
    '</m:PushSubscriptionRequest></m:Subscribe>'
  );
}

const emptyOr = <T extends z.ZodType>(schema: T) =>
  z.union([schema, z.literal('')]).transform((value) => (value === '' ? undefined : value));

export const calendarItem = z.object({
  ItemId: z.object({ '@_Id': z.string().min(1) }),
  Subject: xmlText.optional(),
  Sensitivity: xmlText.optional(),
  Start: xmlText,
  End: xmlText,
  IsAllDayEvent: xmlText.optional(),
  LegacyFreeBusyStatus: xmlText.optional(),
  IsCancelled: xmlText.optional(),
  MyResponseType: xmlText.optional(),
  StartTimeZone: z.object({ '@_Id': z.string().optional() }).or(z.literal('')).optional(),
});
export type EwsCalendarItem = z.infer<typeof calendarItem>;

const findItemMessage = responseMessageBase.extend({
  RootFolder: z
    .object({
      '@_IncludesLastItemInRange': z.enum(['true', 'false']).default('true'),
      Items: emptyOr(z.object({ CalendarItem: oneOrMany(calendarItem).optional() })).optional(),
    })
    .optional(),
});

export const findItemResponse = z.object({
  FindItemResponse: z.object({
    ResponseMessages: z.object({ FindItemResponseMessage: findItemMessage }),
  }),
});

export const oofSettingsResponse = z.object({
  GetUserOofSettingsResponse: z.object({
    ResponseMessage: responseMessageBase,
    OofSettings: z
      .object({
        OofState: xmlText,
        Duration: emptyOr(z.object({ StartTime: xmlText, EndTime: xmlText })).optional(),
        InternalReply: emptyOr(z.object({ Message: xmlText.optional() })).optional(),
      })
      .optional(),
  }),
});

const dictionaryEntry = z.object({
  DictionaryKey: z.object({ Value: xmlText }),
  DictionaryValue: emptyOr(z.object({ Value: oneOrMany(xmlText).optional() })).optional(),
});

export const userConfigurationResponse = z.object({
  GetUserConfigurationResponse: z.object({
    ResponseMessages: z.object({
      GetUserConfigurationResponseMessage: responseMessageBase.extend({
        UserConfiguration: z
          .object({
            Dictionary: emptyOr(
              z.object({ DictionaryEntry: oneOrMany(dictionaryEntry).optional() }),
            ).optional(),
          })
          .optional(),
      }),
    }),
  }),
});

export const subscribeResponse = z.object({
  SubscribeResponse: z.object({
    ResponseMessages: z.object({
      SubscribeResponseMessage: responseMessageBase.extend({
        SubscriptionId: xmlText.optional(),
        Watermark: xmlText.optional(),
      }),
    }),
  }),
});

/** The value of `key` in an OWA.UserOptions dictionary, e.g. "timezone". */
export function dictionaryValue(
  answer: z.infer<typeof userConfigurationResponse>,
  key: string,
): string | null {
  const message = answer.GetUserConfigurationResponse.ResponseMessages.GetUserConfigurationResponseMessage;
  const entries = message.UserConfiguration?.Dictionary?.DictionaryEntry ?? [];
  const entry = entries.find((e) => e.DictionaryKey.Value.toLowerCase() === key.toLowerCase());
  return entry?.DictionaryValue?.Value?.[0] ?? null;
}
