import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlToPlainText } from '../../shared/presence/plain-text.ts';
import { anOutOfOffice, aPresenceInput } from '../support/builders.ts';
import { assertShows, away } from './expect-state.ts';

describe('§3 out-of-office reply as plain text', () => {
  const cases = [
    { name: 'strips tags', html: '<p>I am <b>away</b>.</p>', text: 'I am away.' },
    {
      name: 'keeps paragraphs apart',
      html: '<html><body><p>Back Monday.</p><p>Urgent: Bob</p></body></html>',
      text: 'Back Monday.\n\nUrgent: Bob',
    },
    { name: 'keeps line breaks', html: 'Back Monday.<br>Urgent: Bob', text: 'Back Monday.\nUrgent: Bob' },
    { name: 'decodes entities', html: 'Tom &amp; Jerry&nbsp;&lt;3', text: 'Tom & Jerry <3' },
    {
      name: 'shows link text, not the address',
      html: 'Ask <a href="mailto:bob@contoso.com">Bob</a>',
      text: 'Ask Bob',
    },
    {
      name: 'drops styles, scripts and images',
      html: '<style>p{}</style><img src="x.png">Away',
      text: 'Away',
    },
    { name: 'leaves headings as written', html: '<h1>Away</h1>', text: 'Away' },
    { name: 'passes plain text through', html: 'Away until Monday', text: 'Away until Monday' },
    { name: 'trims', html: '  <div>\n Away \n</div>  ', text: 'Away' },
  ];
  for (const { name, html, text } of cases) it(name, () => assert.equal(htmlToPlainText(html), text));

  it('an empty reply is no message', () => {
    assertShows(
      aPresenceInput({ outOfOffice: anOutOfOffice({ status: 'enabled', internalReplyHtml: '<p> </p>' }) }),
      '2026-11-24T09:00:00Z',
      away(null, { message: null, returnsAt: null }, null),
    );
  });
});
