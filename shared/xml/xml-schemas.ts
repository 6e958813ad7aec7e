import { z } from 'zod';

/** Zod helpers for the trees parseXml gives, and the SOAP/EWS namespaces. */

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
} as const;

/** One element, or several with the same name: the parser gives an object or an array. */
export function oneOrMany<T extends z.ZodType>(schema: T) {
  return z.union([z.array(schema), schema]).transform((value) => (Array.isArray(value) ? value : [value]));
}

/** An element's text whether or not it has attributes (`<a x="1">text</a>` parses as `{#text}`). */
export const xmlText = z
  .union([z.string(), z.object({ '#text': z.string().default('') })])
  .transform((value) => (typeof value === 'string' ? value : value['#text']));
