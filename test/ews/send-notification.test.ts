import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { encodeWatermark } from '../../dev/exchange-sim/ews/ews-sim-push.ts';
import {
  MAX_NOTIFICATION_BYTES,
  readSendNotification,
  sendNotificationResult,
} from '../../shared/notifications/ews-send-notification.ts';
import { parseXml } from '../../shared/xml/safe-xml.ts';
import { aSendNotification, M, T } from './send-notification-builder.ts';

const event = (kind: string, sequence: number, at: string) =>
  `<t:${kind}><t:Watermark>${encodeWatermark(sequence)}</t:Watermark><t:TimeStamp>${at}</t:TimeStamp>` +
  `<t:ItemId Id="AAMk${sequence}" ChangeKey="DwAA"/><t:ParentFolderId Id="AAMkcal" ChangeKey="AQAA"/></t:${kind}>`;

describe('§5 EWS SendNotification parsing', () => {
  it('reads a status ping: the subscription, no change, its watermark', () => {
    assert.deepEqual(readSendNotification(aSendNotification()), {
      ok: true,
      value: { subscriptionId: 'sub-1', changes: 0, watermark: encodeWatermark(7) },
    });
  });

  it('counts created, modified, moved, deleted and copied events and keeps the newest watermark', () => {
    const events =
      event('CreatedEvent', 8, '2026-11-24T09:00:01Z') +
      event('ModifiedEvent', 9, '2026-11-24T09:00:02Z') +
      event('CreatedEvent', 10, '2026-11-24T09:00:03Z') +
      event('MovedEvent', 11, '2026-11-24T09:00:04Z') +
      event('DeletedEvent', 12, '2026-11-24T09:00:05Z') +
      event('CopiedEvent', 13, '2026-11-24T09:00:06Z');
    assert.deepEqual(readSendNotification(aSendNotification({ events })), {
      ok: true,
      value: { subscriptionId: 'sub-1', changes: 6, watermark: encodeWatermark(13) },
    });
  });

  it('answers SendNotificationResult with the status', () => {
    const xml = sendNotificationResult('Unsubscribe');
    assert.match(xml, new RegExp(`<SendNotificationResult xmlns="${M}">`));
    const tree = parseXml(xml, 10_000);
    assert.deepEqual(tree.ok && tree.value, {
      Envelope: { Body: { SendNotificationResult: { SubscriptionStatus: 'Unsubscribe' } } },
    });
  });
});

describe('§5 hostile and malformed SendNotification bodies', () => {
  let dir = '';
  let secretFile = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ews-xxe-'));
    secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, 'TOP-SECRET-MARKER');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join('') +
    ']>';
  const cases: { name: string; body: () => string; status: 400 | 413 }[] = [
    {
      name: 'an external entity (XXE) naming a local file',
      body: () =>
        aSendNotification({
          prolog: `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file://${secretFile}">]>`,
          subscriptionId: '&xxe;',
        }),
      status: 400,
    },
    {
      name: 'XXE with file:///etc/passwd',
      body: () =>
        aSendNotification({
          prolog: '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
          subscriptionId: '&xxe;',
        }),
      status: 400,
    },
    {
      name: 'billion laughs',
      body: () => aSendNotification({ prolog: laughs, subscriptionId: '&lol9;' }),
      status: 400,
    },
    {
      name: 'a DOCTYPE alone',
      body: () => aSendNotification({ prolog: '<!DOCTYPE Envelope>' }),
      status: 400,
    },
    {
      name: 'an undeclared entity',
      body: () => aSendNotification({ subscriptionId: '&nope;' }),
      status: 400,
    },
    {
      name: 'an oversized body',
      body: () => aSendNotification({ subscriptionId: 'x'.repeat(MAX_NOTIFICATION_BYTES) }),
      status: 413,
    },
    { name: 'not XML', body: () => '{"value": []}', status: 400 },
    { name: 'XML that is not well-formed', body: () => '<a><b></a>', status: 400 },
    {
      name: 'SOAP that is not a SendNotification',
      body: () => aSendNotification().replaceAll('SendNotification', 'GetItem'),
      status: 400,
    },
    {
      name: 'a notification without a subscription id',
      body: () => aSendNotification({ subscriptionId: '' }),
      status: 400,
    },
    {
      name: 'two subscriptions in one notification',
      body: () =>
        aSendNotification().replace(
          '</m:ResponseMessages>',
          `<m:SendNotificationResponseMessage ResponseClass="Success"><m:Notification><t:SubscriptionId xmlns:t="${T}">sub-2</t:SubscriptionId></m:Notification></m:SendNotificationResponseMessage></m:ResponseMessages>`,
        ),
      status: 400,
    },
    {
      name: 'a prototype-polluting element name',
      body: () => aSendNotification({ events: '<__proto__><a>1</a></__proto__>' }),
      status: 400,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with ${c.status}, reading nothing from disk`, () => {
      const reads = ['readFileSync', 'openSync', 'readFile', 'open', 'createReadStream'].map((name) =>
        mock.method(fs, name as 'readFileSync'),
      );
      try {
        const result = readSendNotification(c.body());
        assert.equal(result.ok, false);
        assert.equal(!result.ok && result.error.status, c.status);
        assert.doesNotMatch(JSON.stringify(result), /TOP-SECRET-MARKER|root:/);
        for (const read of reads) assert.equal(read.mock.callCount(), 0);
      } finally {
        for (const read of reads) read.mock.restore();
      }
    });
  }
});
