import { escapeXml } from '../../../shared/xml/safe-xml.ts';
import { NS } from '../../../shared/xml/xml-schemas.ts';

/** The envelopes the simulated Exchange writes, as Exchange 2016/2019 writes them. */

export interface SimVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

/** "15.2.1544.4" → its four numbers. */
export function parseVersion(text: string): SimVersion {
  const [major, minor, build, revision] = text.split('.').map((part) => Number.parseInt(part, 10));
  if (major === undefined || minor === undefined || build === undefined || revision === undefined) {
    throw new Error(`bad Exchange version ${text}`);
  }
  return { major, minor, build, revision };
}

export function answerEnvelope(version: SimVersion, body: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}">` +
    '<s:Header>' +
    `<h:ServerVersionInfo MajorVersion="${version.major}" MinorVersion="${version.minor}" MajorBuildNumber="${version.build}" MinorBuildNumber="${version.revision}" Version="V2017_07_11" xmlns:h="${NS.types}" xmlns="${NS.types}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>` +
    '</s:Header>' +
    `<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${body}</s:Body>` +
    '</s:Envelope>'
  );
}

/** A SOAP fault as Exchange sends it with HTTP 500 (ErrorServerBusy, impersonation errors …). */
export function faultEnvelope(
  version: SimVersion,
  responseCode: string,
  message: string,
  backOffMs: number | null = null,
): string {
  const messageXml =
    backOffMs === null
      ? ''
      : `<t:MessageXml xmlns:t="${NS.types}"><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></t:MessageXml>`;
  return answerEnvelope(
    version,
    '<s:Fault>' +
      `<faultcode xmlns:a="${NS.types}">a:${responseCode}</faultcode>` +
      `<faultstring xml:lang="en-US">${escapeXml(message)}</faultstring>` +
      '<detail>' +
      `<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${responseCode}</e:ResponseCode>` +
      `<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${escapeXml(message)}</e:Message>` +
      messageXml +
      '</detail>' +
      '</s:Fault>',
  );
}

/** `<m:{name}ResponseMessage ResponseClass="Error">` with its code, for a response message that failed. */
export function errorMessage(name: string, responseCode: string, text: string): string {
  return (
    `<m:${name}ResponseMessage ResponseClass="Error"><m:MessageText>${escapeXml(text)}</m:MessageText>` +
    `<m:ResponseCode>${responseCode}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:${name}ResponseMessage>`
  );
}

export const MESSAGES_AND_TYPES = `xmlns:m="${NS.messages}" xmlns:t="${NS.types}"`;
