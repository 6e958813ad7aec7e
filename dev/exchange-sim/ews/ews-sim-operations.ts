import { DateTime } from 'luxon';
import { z } from 'zod';
import { escapeXml } from '../../../shared/xml/safe-xml.ts';
import { oneOrMany, xmlText } from '../../../shared/xml/xml-schemas.ts';
import {
  eventSpan,
  ianaZone,
  type Mailboxes,
  type ResponseType,
  type SimDateTime,
  type SimEvent,
  type SimUser,
} from '../mailboxes.ts';
import { errorMessage, MESSAGES_AND_TYPES } from './ews-sim-soap.ts';

/**
 * The mailbox operations of the simulated EWS over the shared mailboxes: each takes the
 * operation's element (parsed, prefixes removed) and the impersonated user, and answers the
 * element that goes into soap:Body.
 */

const FREE_BUSY: Readonly<Record<SimEvent['showAs'], string>> = {
  free: 'Free',
  tentative: 'Tentative',
  busy: 'Busy',
  oof: 'OOF',
  workingElsewhere: 'WorkingElsewhere',
  unknown: 'NoData',
};

const RESPONSE: Readonly<Record<ResponseType, string>> = {
  none: 'Unknown',
  organizer: 'Organizer',
  tentativelyAccepted: 'Tentative',
  accepted: 'Accept',
  declined: 'Decline',
  notResponded: 'NoResponseReceived',
};

const SENSITIVITY: Readonly<Record<SimEvent['sensitivity'], string>> = {
  normal: 'Normal',
  personal: 'Personal',
  private: 'Private',
  confidential: 'Confidential',
};

const calendarView = z.object({
  CalendarView: z.object({
    '@_StartDate': z.string(),
    '@_EndDate': z.string(),
    '@_MaxEntriesReturned': z.coerce.number().int().positive().optional(),
  }),
  ParentFolderIds: z.object({ DistinguishedFolderId: z.object({ '@_Id': z.literal('calendar') }) }),
});

export function findItem(mailboxes: Mailboxes, user: SimUser, request: unknown): string {
  const parsed = calendarView.safeParse(request);
  if (!parsed.success) {
    return `<m:FindItemResponse ${MESSAGES_AND_TYPES}><m:ResponseMessages>${errorMessage('FindItem', 'ErrorInvalidRequest', 'Only a CalendarView of the calendar folder is simulated.')}</m:ResponseMessages></m:FindItemResponse>`;
  }
  const view = parsed.data.CalendarView;
  const start = Date.parse(view['@_StartDate']);
  const end = Date.parse(view['@_EndDate']);
  const max = view['@_MaxEntriesReturned'] ?? 1000;
  const zone = mailboxes.mailboxSettings(user.id).timeZone;
  const all = mailboxes.calendarView(user.id, start, end);
  const items = all.slice(0, max).map((event) => calendarItem(event, zone));
  return (
    `<m:FindItemResponse ${MESSAGES_AND_TYPES}><m:ResponseMessages>` +
    '<m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' +
    `<m:RootFolder TotalItemsInView="${all.length}" IncludesLastItemInRange="${all.length <= max}">` +
    `<t:Items>${items.join('')}</t:Items></m:RootFolder>` +
    '</m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>'
  );
}

/** All-day events: EWS gives the instants of midnight in the zone the item was made in (the mailbox's). */
function calendarItem(event: SimEvent, windowsZone: string): string {
  const span = eventSpan(event, ianaZone(windowsZone));
  return (
    '<t:CalendarItem>' +
    `<t:ItemId Id="${escapeXml(event.id)}" ChangeKey="${escapeXml(event.changeKey)}"/>` +
    `<t:Subject>${escapeXml(event.subject)}</t:Subject>` +
    `<t:Sensitivity>${SENSITIVITY[event.sensitivity]}</t:Sensitivity>` +
    `<t:Start>${utc(span.start)}</t:Start><t:End>${utc(span.end)}</t:End>` +
    `<t:IsAllDayEvent>${event.isAllDay}</t:IsAllDayEvent>` +
    `<t:LegacyFreeBusyStatus>${FREE_BUSY[event.showAs]}</t:LegacyFreeBusyStatus>` +
    `<t:IsCancelled>${event.isCancelled}</t:IsCancelled>` +
    `<t:MyResponseType>${RESPONSE[event.responseStatus.response]}</t:MyResponseType>` +
    `<t:StartTimeZone Id="${escapeXml(windowsZone)}" Name="${escapeXml(windowsZone)}"/>` +
    '</t:CalendarItem>'
  );
}

const oofRequest = z.object({ Mailbox: z.object({ Address: xmlText }) });

export function getUserOofSettings(mailboxes: Mailboxes, user: SimUser, request: unknown): string {
  const parsed = oofRequest.safeParse(request);
  const asked = parsed.success ? mailboxes.findUser(parsed.data.Mailbox.Address) : undefined;
  if (asked === undefined || asked.id !== user.id) {
    return `<GetUserOofSettingsResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><ResponseMessage ResponseClass="Error"><MessageText>The mailbox is not the impersonated user's.</MessageText><ResponseCode>ErrorInvalidUserOofSettings</ResponseCode><DescriptiveLinkKey>0</DescriptiveLinkKey></ResponseMessage></GetUserOofSettingsResponse>`;
  }
  const replies = mailboxes.mailboxSettings(user.id).automaticRepliesSetting;
  const state = { disabled: 'Disabled', alwaysEnabled: 'Enabled', scheduled: 'Scheduled' }[replies.status];
  return (
    '<GetUserOofSettingsResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">' +
    '<ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage>' +
    '<OofSettings xmlns="http://schemas.microsoft.com/exchange/services/2006/types">' +
    `<OofState>${state}</OofState><ExternalAudience>All</ExternalAudience>` +
    `<Duration><StartTime>${zoneless(instantOf(replies.scheduledStartDateTime))}</StartTime>` +
    `<EndTime>${zoneless(instantOf(replies.scheduledEndDateTime))}</EndTime></Duration>` +
    `<InternalReply><Message>${escapeXml(replies.internalReplyMessage)}</Message></InternalReply>` +
    `<ExternalReply><Message>${escapeXml(replies.externalReplyMessage)}</Message></ExternalReply>` +
    '</OofSettings><AllowExternalOof>All</AllowExternalOof></GetUserOofSettingsResponse>'
  );
}

const configurationRequest = z.object({
  UserConfigurationName: z.object({ '@_Name': z.string() }),
});

/** OWA.UserOptions of the root folder: where the mailbox's time zone lives, once OWA has been opened. */
export function getUserConfiguration(
  mailboxes: Mailboxes,
  user: SimUser,
  request: unknown,
  hasOwaOptions: boolean,
): string {
  const parsed = configurationRequest.safeParse(request);
  const open = `<m:GetUserConfigurationResponse ${MESSAGES_AND_TYPES}><m:ResponseMessages>`;
  const close = '</m:ResponseMessages></m:GetUserConfigurationResponse>';
  if (
    !parsed.success ||
    parsed.data.UserConfigurationName['@_Name'] !== 'OWA.UserOptions' ||
    !hasOwaOptions
  ) {
    return `${open}${errorMessage('GetUserConfiguration', 'ErrorItemNotFound', 'The specified object was not found in the store.')}${close}`;
  }
  const zone = mailboxes.mailboxSettings(user.id).timeZone;
  const entry = (key: string, value: string) =>
    `<t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type><t:Value>${key}</t:Value></t:DictionaryKey>` +
    `<t:DictionaryValue><t:Type>String</t:Type><t:Value>${escapeXml(value)}</t:Value></t:DictionaryValue></t:DictionaryEntry>`;
  return (
    `${open}<m:GetUserConfigurationResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>` +
    '<m:UserConfiguration><t:UserConfigurationName Name="OWA.UserOptions"/>' +
    `<t:Dictionary>${entry('timezone', zone)}${entry('timeformat', 'HH:mm')}</t:Dictionary>` +
    `</m:UserConfiguration></m:GetUserConfigurationResponseMessage>${close}`
  );
}

export function getServerTimeZones(): string {
  return (
    `<m:GetServerTimeZonesResponse ${MESSAGES_AND_TYPES}><m:ResponseMessages>` +
    '<m:GetServerTimeZonesResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' +
    '<m:TimeZoneDefinitions><t:TimeZoneDefinition Id="UTC" Name="(UTC) Coordinated Universal Time"/></m:TimeZoneDefinitions>' +
    '</m:GetServerTimeZonesResponseMessage></m:ResponseMessages></m:GetServerTimeZonesResponse>'
  );
}

export const pushSubscriptionRequest = z.object({
  PushSubscriptionRequest: z.object({
    FolderIds: z.object({ DistinguishedFolderId: oneOrMany(z.object({ '@_Id': z.string() })) }),
    EventTypes: z.object({ EventType: oneOrMany(xmlText) }),
    Watermark: xmlText.optional(),
    StatusFrequency: z.coerce.number().int().min(1).max(1440),
    URL: xmlText.pipe(z.url()),
  }),
});

function utc(instant: number): string {
  return `${zoneless(instant)}Z`;
}

/** GetUserOofSettings Duration times: UTC without a zone designator (MS-OXWOOF's example `2008-02-01T00:00:00`). */
function zoneless(instant: number): string {
  return new Date(instant).toISOString().slice(0, 19);
}

function instantOf(value: SimDateTime): number {
  return DateTime.fromISO(value.dateTime, { zone: ianaZone(value.timeZone) }).toMillis();
}
