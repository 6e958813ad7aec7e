import { compile } from 'html-to-text';

// Compiled once: the out-of-office reply is read for every prepared calendar.
const convert = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
});

/** The readable plain text of an HTML message (an out-of-office reply), trimmed. */
export function htmlToPlainText(html: string): string {
  return convert(html)
    .replace(/\u00a0/g, ' ') // non-breaking spaces read as spaces on a phone display
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
