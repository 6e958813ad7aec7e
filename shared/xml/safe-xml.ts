import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError, fail, ok, type Result } from '../errors.ts';

/**
 * The one way this service reads XML (EWS SOAP, in both directions). Hostile XML is refused
 * before the parser sees it: no DOCTYPE, so no external entity (XXE) and no entity expansion
 * (billion laughs); only the five predefined entities and character references are decoded.
 * The result is a plain tree (namespace prefixes removed, attributes as `@_Name`, element
 * text as a string, or under `#text` beside attributes), `unknown` until a schema parses it.
 */

const DECLARATION_OR_DOCTYPE = /<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST|<!NOTATION/i;
const ENTITY_REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const ANY_ENTITY = /&[^;\s]*;?/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(raw: string): string {
  return raw.replace(ENTITY_REFERENCE, (_match, name: string | undefined, dec?: string, hex?: string) => {
    if (name !== undefined) return PREDEFINED[name] ?? '';
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
  });
}

/** True when every `&` starts a predefined entity or a character reference (XML without a DTD). */
function onlyKnownEntities(xml: string): boolean {
  for (const match of xml.matchAll(ANY_ENTITY)) {
    ENTITY_REFERENCE.lastIndex = 0;
    const known = ENTITY_REFERENCE.exec(match[0]);
    if (!known || known[0] !== match[0]) return false;
  }
  return true;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // Our own decoder runs instead: it knows no entity but the predefined ones.
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 64,
  tagValueProcessor: (_name, value) => decodeXmlText(value),
  attributeValueProcessor: (_name, value) => decodeXmlText(value),
});

/** Parses `xml` of at most `maxBytes` UTF-8 bytes, or says why not (`input.too_large`, `input.invalid`). */
export function parseXml(xml: string, maxBytes: number): Result<unknown> {
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) {
    return fail(new AppError('input.too_large', `XML larger than ${maxBytes} bytes`));
  }
  if (DECLARATION_OR_DOCTYPE.test(xml)) {
    return fail(new AppError('input.invalid', 'XML with a DOCTYPE or entity declaration is refused'));
  }
  if (!onlyKnownEntities(xml)) {
    return fail(new AppError('input.invalid', 'XML refers to an undeclared entity'));
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return fail(new AppError('input.invalid', `XML is not well-formed: ${valid.err.msg}`));
  }
  try {
    const tree: unknown = parser.parse(xml);
    if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) {
      return fail(new AppError('input.invalid', 'XML has no root element'));
    }
    return ok(tree);
  } catch (cause) {
    // The parser refuses names such as __proto__ by throwing: hostile input, not a bug.
    return fail(new AppError('input.invalid', 'XML could not be parsed', { cause }));
  }
}

/** Escapes text for an element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
