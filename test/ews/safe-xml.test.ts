import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml, parseXml } from '../../shared/xml/safe-xml.ts';

describe('safe XML reading', () => {
  it('decodes the predefined entities and character references, once', () => {
    const tree = parseXml(
      '<a><s>R&amp;D &lt;b&gt; caf&#233; &#x41; &amp;#233;</s><t Id="1&amp;2"/></a>',
      1_000,
    );
    assert.deepEqual(tree.ok && tree.value, { a: { s: 'R&D <b> café A &#233;', t: { '@_Id': '1&2' } } });
  });

  it('keeps numbers, booleans and zero-padded values as text', () => {
    const tree = parseXml('<a><n>007</n><b>true</b></a>', 1_000);
    assert.deepEqual(tree.ok && tree.value, { a: { n: '007', b: 'true' } });
  });

  const refused = [
    ['a DOCTYPE', '<!DOCTYPE a><a/>'],
    ['an internal entity', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['an undeclared entity', '<a>&nbsp;</a>'],
    ['a lone ampersand', '<a>fish & chips</a>'],
    ['an unclosed element', '<a><b></a>'],
    ['text without a root', 'hello'],
  ] as const;
  for (const [name, xml] of refused) {
    it(`refuses ${name}`, () => {
      const result = parseXml(xml, 1_000);
      assert.equal(!result.ok && result.error.code, 'input.invalid');
    });
  }

  it('refuses more bytes than allowed', () => {
    const result = parseXml(`<a>${'é'.repeat(600)}</a>`, 1_000);
    assert.equal(!result.ok && result.error.code, 'input.too_large');
  });

  it('escapes what it writes', () => {
    assert.equal(
      escapeXml(`<a href="x">Tom & Jerry's</a>`),
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;',
    );
  });
});
