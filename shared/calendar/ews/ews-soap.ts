import { z } from 'zod';
import { fail, ok, type Result } from '../../errors.ts';
import { escapeXml, parseXml } from '../../xml/safe-xml.ts';
import { NS, oneOrMany, xmlText } from '../../xml/xml-schemas.ts';

/**
 * The SOAP 1.1 envelope of EWS: requests we send, and the answers we read (ServerVersionInfo,
 * the body, or a SOAP fault with its EWS response code).
 */

/** Exchange 2013 is the oldest server SPEC §1 supports; every operation we use exists there. */
export const REQUEST_SERVER_VERSION = 'Exchange2013';

/**
 * A request envelope; `impersonate` is the mailbox the service account acts as
 * (ExchangeImpersonation). SmtpAddress, as the EWS Managed API sends for Exchange 2010 and
 * later: it takes any proxy address, where PrimarySmtpAddress refuses all but the primary one.
 */
export function soapEnvelope(body: string, impersonate: string | null): string {
  const impersonation =
    impersonate === null
      ? ''
      : `<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>${escapeXml(impersonate)}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:t="${NS.types}" xmlns:m="${NS.messages}">` +
    `<soap:Header><t:RequestServerVersion Version="${REQUEST_SERVER_VERSION}"/>${impersonation}</soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export interface ServerVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

const versionNumber = z.coerce.number().int().min(0).max(99_999);
const serverVersionInfo = z.object({
  '@_MajorVersion': versionNumber,
  '@_MinorVersion': versionNumber,
  '@_MajorBuildNumber': versionNumber,
  '@_MinorBuildNumber': versionNumber,
});

const envelope = z.object({
  Envelope: z.object({
    Header: z.union([z.object({ ServerVersionInfo: z.unknown().optional() }), z.literal('')]).optional(),
    Body: z.record(z.string(), z.unknown()),
  }),
});

const fault = z.object({
  faultcode: xmlText.optional(),
  faultstring: xmlText.optional(),
  detail: z
    .union([
      z.object({
        ResponseCode: xmlText.optional(),
        Message: xmlText.optional(),
        MessageXml: z.unknown().optional(),
      }),
      z.literal(''),
    ])
    .optional(),
});

/** What an EWS answer said went wrong: the response code (e.g. ErrorServerBusy) and its text. */
export interface EwsFault {
  readonly responseCode: string;
  readonly message: string;
  /** ErrorServerBusy's BackOffMilliseconds, when given. */
  readonly backOffMs: number | null;
}

export interface SoapAnswer {
  readonly version: ServerVersion | null;
  /** The single element inside soap:Body, by name. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** EWS answers are small; a 20 MB limit only guards against a runaway. */
const MAX_SOAP_BYTES = 20 * 1024 * 1024;

/** An answer's envelope: the body, or the fault (HTTP 500 carries faults, e.g. ErrorServerBusy). */
export function readSoapAnswer(xml: string): Result<SoapAnswer, EwsFault | string> {
  const tree = parseXml(xml, MAX_SOAP_BYTES);
  if (!tree.ok) return fail(tree.error.message);
  const parsed = envelope.safeParse(tree.value);
  if (!parsed.success) return fail('not a SOAP envelope');
  const header = parsed.data.Envelope.Header;
  const versionInfo = serverVersionInfo.safeParse(header === '' ? undefined : header?.ServerVersionInfo);
  const version = versionInfo.success
    ? {
        major: versionInfo.data['@_MajorVersion'],
        minor: versionInfo.data['@_MinorVersion'],
        build: versionInfo.data['@_MajorBuildNumber'],
        revision: versionInfo.data['@_MinorBuildNumber'],
      }
    : null;
  const body = parsed.data.Envelope.Body;
  if ('Fault' in body) {
    const f = fault.safeParse(body.Fault);
    if (!f.success) return fail('an unreadable SOAP fault');
    const detail = f.data.detail === '' ? undefined : f.data.detail;
    const code = detail?.ResponseCode ?? (f.data.faultcode ?? '').replace(/^.*:/, '');
    return fail({
      responseCode: code === '' ? 'SoapFault' : code,
      message: detail?.Message ?? f.data.faultstring ?? '',
      backOffMs: backOff(detail?.MessageXml),
    });
  }
  return ok({ version, body });
}

const messageXmlValue = z.object({ '@_Name': z.string(), '#text': z.string() });
const messageXml = z.object({ Value: oneOrMany(messageXmlValue) });

/** BackOffMilliseconds from a MessageXml element, if there. */
export function backOff(value: unknown): number | null {
  const parsed = messageXml.safeParse(value);
  if (!parsed.success) return null;
  const entry = parsed.data.Value.find((v) => v['@_Name'] === 'BackOffMilliseconds');
  const ms = entry === undefined ? Number.NaN : Number(entry['#text']);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** The parts every EWS response message has. */
export const responseMessageBase = z.object({
  '@_ResponseClass': z.enum(['Success', 'Warning', 'Error']),
  ResponseCode: xmlText.optional(),
  MessageText: xmlText.optional(),
  MessageXml: z.unknown().optional(),
});

/** A response message that is not Success (Warning counts as success, as the EWS Managed API does). */
export function messageFault(message: z.infer<typeof responseMessageBase>): EwsFault | null {
  if (message['@_ResponseClass'] !== 'Error') return null;
  return {
    responseCode: message.ResponseCode ?? 'ErrorUnknown',
    message: message.MessageText ?? '',
    backOffMs: backOff(message.MessageXml),
  };
}
