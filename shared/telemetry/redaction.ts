/**
 * Scrubs what leaves the process as telemetry: the values of the configured secrets wherever
 * they appear, credentials by their shape (bearer tokens, JWTs, `password=`…), attributes whose
 * name says they hold a credential, and every query value of a URL except a few harmless ones
 * (a query may carry a validation token, a signature or a search term taken from a subject).
 */
export const REDACTED = '[redacted]';

/** Query parameters whose values are kept: paging and the calendar window, nothing from users. */
const KEPT_QUERY_PARAMETERS = new Set([
  'api-version',
  'startdatetime',
  'enddatetime',
  '$top',
  '$skip',
  '$select',
  '$orderby',
  '$count',
]);

/** Credentials by their shape, replaced whole. */
const CREDENTIAL_SHAPES: readonly RegExp[] = [
  /\b(?:Bearer|Basic|NTLM|Negotiate)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
];
/** `name=value` / `name: value` pairs whose value is a credential: the name stays, the value goes. */
const CREDENTIAL_PAIR =
  /\b(password|passwd|pwd|secret|client_secret|clientsecret|api[_-]?key|token|access_token|refresh_token|accountkey|sharedaccesskey|sig|code|validationtoken|clientstate)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"'<>]+)/gi;

/** Attribute names whose value is a credential whatever it looks like. */
const CREDENTIAL_NAME =
  /authorization|cookie|password|passwd|secret|token|api[._-]?key|clientstate|x-functions-key/i;

/** Attribute names that carry a URL, whose query values are scrubbed. */
const URL_NAME = /(^|\.)(url|full|target|uri)$/i;

export type Redactor = (text: string) => string;

/** Very short values would blank ordinary words, and cannot be secrets worth the name anyway. */
const MIN_SECRET_LENGTH = 6;

/** Secrets learnt after start-up (written through the admin API), scrubbed by every redactor. */
const remembered = new Set<string>();

/** From now on, every redactor in this process scrubs `value` as it scrubs the configured secrets. */
export function rememberSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) remembered.add(value);
}

/** A scrubber for free text that also knows the values of the configured secrets. */
export function createRedactor(secrets: readonly (string | null | undefined)[]): Redactor {
  const configured = secrets.filter(
    (s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH,
  );
  let known: readonly string[] = [];
  let learnt = -1;
  return (text) => {
    if (learnt !== remembered.size) {
      // Longest first, so a secret that contains another is replaced whole.
      known = [...new Set([...configured, ...remembered])].sort((a, b) => b.length - a.length);
      learnt = remembered.size;
    }
    let out = text;
    for (const secret of known) out = out.split(secret).join(REDACTED);
    for (const shape of CREDENTIAL_SHAPES) out = out.replace(shape, REDACTED);
    return out.replace(
      CREDENTIAL_PAIR,
      (_, name: string, separator: string) => `${name}${separator}${REDACTED}`,
    );
  };
}

/** The URL with every query value but the kept ones replaced, and no user:password part. */
export function redactUrl(url: string, redact: Redactor): string {
  let parsed: URL;
  if (url.startsWith('/')) return redactUrl(`http://relative${url}`, redact).slice('http://relative'.length);
  try {
    parsed = new URL(url);
  } catch {
    return redact(url);
  }
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  const query = [...parsed.searchParams.entries()]
    .map(([name, value]) =>
      KEPT_QUERY_PARAMETERS.has(name.toLowerCase())
        ? `${encodeName(name)}=${encodeURIComponent(value)}`
        : `${encodeName(name)}=${REDACTED}`,
    )
    .join('&');
  parsed.search = '';
  return redact(`${parsed.toString()}${query === '' ? '' : `?${query}`}`);
}

/** OData's `$top` reads better than `%24top`. */
function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/^%24/, '$');
}

function redactQuery(query: string, redact: Redactor): string {
  return redactUrl(`http://q/?${query}`, redact).slice('http://q/?'.length);
}

type AttributeValue = string | number | boolean | null | undefined | readonly unknown[] | object;

/** Scrubs an attribute map in place (OpenTelemetry span, event and log attributes). */
export function redactAttributes(attributes: Record<string, unknown>, redact: Redactor): void {
  for (const [name, value] of Object.entries(attributes)) {
    attributes[name] = redactAttribute(name, value as AttributeValue, redact);
  }
}

function redactAttribute(name: string, value: AttributeValue, redact: Redactor): unknown {
  if (CREDENTIAL_NAME.test(name)) return REDACTED;
  if (typeof value === 'string') {
    if (name === 'url.query') return redactQuery(value.replace(/^\?/, ''), redact);
    return URL_NAME.test(name) ? redactUrl(value, redact) : redact(value);
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => (typeof item === 'string' ? redact(item) : item));
  }
  return value;
}
