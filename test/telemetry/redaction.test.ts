import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRedactor, REDACTED, redactAttributes, redactUrl } from '../../shared/telemetry/redaction.ts';

const SECRET = 'pl-key-4f9a1c2e7b5d';
const redact = createRedactor([SECRET, undefined, null, 'abc']);

describe('§8 telemetry redaction', () => {
  const texts: ReadonlyArray<readonly [string, string, string]> = [
    ['a configured secret anywhere', `PUT failed for key ${SECRET}.`, `PUT failed for key ${REDACTED}.`],
    ['a bearer token', 'Authorization: Bearer abcdefgh12345678', `Authorization: ${REDACTED}`],
    ['a JWT', 'token eyJhbGciOi.eyJzdWIiOiIx.sig0 seen', `token ${REDACTED} seen`],
    ['a password pair', 'user=svc password=hunter22; x', `user=svc password=${REDACTED}; x`],
    [
      'a client secret in a form body',
      'client_id=1&client_secret=s3cr3t&scope=x',
      `client_id=1&client_secret=${REDACTED}&scope=x`,
    ],
    ['nothing in ordinary words (short values are not secrets)', 'abc is fine', 'abc is fine'],
  ];
  for (const [what, input, expected] of texts) {
    it(`scrubs ${what}`, () => assert.equal(redact(input), expected));
  }

  const urls: ReadonlyArray<readonly [string, string, string]> = [
    [
      'keeps the calendar window and paging, drops a filter on subjects',
      "https://graph.microsoft.com/v1.0/users/ann@contoso.com/calendarView?startDateTime=2026-11-24T00:00:00Z&$top=5&$filter=subject eq 'x'",
      `https://graph.microsoft.com/v1.0/users/ann@contoso.com/calendarView?startDateTime=2026-11-24T00%3A00%3A00Z&$top=5&$filter=${REDACTED}`,
    ],
    [
      'drops the Graph validation token',
      '/api/notifications/graph?validationToken=abc123',
      `/api/notifications/graph?validationToken=${REDACTED}`,
    ],
    [
      'drops user and password',
      'https://svc:pw@mail.contoso.com/ews/exchange.asmx',
      'https://mail.contoso.com/ews/exchange.asmx',
    ],
  ];
  for (const [what, input, expected] of urls) {
    it(`${what} in a URL`, () => assert.equal(redactUrl(input, redact), expected));
  }

  it('blanks attributes named for credentials and scrubs URLs and texts in the rest', () => {
    const attributes: Record<string, unknown> = {
      'http.request.header.authorization': ['Bearer x'],
      'url.full': `https://x.example/a?sig=${SECRET}&$top=1`,
      'url.query': 'code=1&$top=2',
      'exception.message': `refused ${SECRET}`,
      'http.response.status_code': 401,
    };
    redactAttributes(attributes, redact);
    assert.deepEqual(attributes, {
      'http.request.header.authorization': REDACTED,
      'url.full': `https://x.example/a?sig=${REDACTED}&$top=1`,
      'url.query': `code=${REDACTED}&$top=2`,
      'exception.message': `refused ${REDACTED}`,
      'http.response.status_code': 401,
    });
  });
});
