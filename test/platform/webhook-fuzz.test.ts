import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { CalendarSubscription } from '../../shared/calendar/calendar-source.ts';
import { aSendNotification } from '../ews/send-notification-builder.ts';
import { startWebhookWorld, type WebhookWorld, webhookRequest } from '../support/webhook-world.ts';

/**
 * SPEC §5: nothing a caller sends produces a 5xx. Seeded, so a failure names the body that
 * caused it and runs again the same way: valid notices mutated (fields of any type and any
 * UTF-16, lone surrogates included, ids of the subscriptions we hold, cut or spliced text).
 */
const SEED = 1_508;
const RUNS = 1_000;

const graphSubscription: CalendarSubscription = {
  id: 'sub-graph-fuzz',
  userId: '201',
  source: 'graph',
  expiresAt: null,
  clientState: 'ZnV6ei1zdGF0ZQ',
  watermark: null,
};
const ewsSubscription: CalendarSubscription = {
  ...graphSubscription,
  id: 'sub-ews-fuzz',
  source: 'ews',
  clientState: null,
};

/** Text of every kind: any UTF-16 (lone surrogates too), long, and the values the webhook knows. */
function texts(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 150, maxLength: 700 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', '\ud800', '\udfff', 'a\u0000b', '../..', '%00', '__proto__'),
    },
  );
}

function values(text: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: text },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    {
      weight: 1,
      arbitrary: fc.oneof(fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 })),
    },
  );
}

/** A body as text: a list of notices mostly, any JSON sometimes, then perhaps cut or spliced. */
function jsonBodies(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const value = values(text);
  const notice = fc.record(
    {
      subscriptionId: value,
      clientState: value,
      lifecycleEvent: fc.oneof(
        fc.constantFrom('missed', 'subscriptionRemoved', 'reauthorizationRequired'),
        value,
      ),
      changeType: value,
      resource: value,
      tenantId: value,
      subscriptionExpirationDateTime: value,
    },
    { requiredKeys: [] },
  );
  const document = fc.oneof(
    { weight: 8, arbitrary: fc.record({ value: fc.array(notice, { minLength: 1, maxLength: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ value }) },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
  return fc.tuple(document, mutations()).map(([body, mutate]) => mutate(JSON.stringify(body) ?? ''));
}

/** Leaves the text as it is (mostly), cuts it, or splices a character into it. */
function mutations(): fc.Arbitrary<(text: string) => string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant((text: string) => text) },
    { weight: 1, arbitrary: fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
        .map(([at, inserted]) => (text: string) => {
          const i = at % (text.length + 1);
          return text.slice(0, i) + inserted + text.slice(i);
        }),
    },
  );
}

/** XML-escaped, or as it is (which may break the XML: that too must be a 4xx). */
const inXml = (text: string, escaped: boolean) =>
  escaped ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;') : text;

describe('§5 fuzzed webhook bodies never make a 5xx (production wiring, Azurite)', () => {
  let world: WebhookWorld;
  let signed: string;

  before(async () => {
    world = await startWebhookWorld();
    await world.services.subscriptions.put(graphSubscription);
    await world.services.subscriptions.put(ewsSubscription);
    signed = await world.services.clientStates.mint('201');
  });
  after(() => world.stop());

  const known = () => [
    graphSubscription.id,
    graphSubscription.clientState ?? '',
    signed,
    ewsSubscription.id,
    '201',
  ];

  for (const route of ['notifications', 'lifecycle'] as const) {
    it(`answers every mutated Graph ${route} POST below 500`, async () => {
      await fc.assert(
        fc.asyncProperty(jsonBodies(texts(known())), async (body) => {
          const answer = await world.graph[route](webhookRequest(body));
          assert.ok(answer.status < 500, `${answer.status} ${answer.body ?? ''}`);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it('answers every mutated EWS SendNotification below 500', async () => {
    const events = fc.constantFrom(
      '',
      '<t:StatusEvent><t:Watermark>AQAAAA==</t:Watermark></t:StatusEvent>',
      '<t:ModifiedEvent><t:Watermark>AQAAAB==</t:Watermark><t:TimeStamp>2026-11-24T09:00:00Z</t:TimeStamp><t:ItemId Id="a"/></t:ModifiedEvent>',
      '<t:MovedEvent><t:TimeStamp>not a time</t:TimeStamp></t:MovedEvent>',
      '<t:CreatedEvent/><t:CreatedEvent/>',
    );
    const ids = fc.oneof(
      texts(known()).map((id) => inXml(id, true)),
      fc.string({ unit: 'binary', maxLength: 24 }).map((id) => inXml(id, false)),
      fc.constantFrom('&#xD800;', '&#xDFFF;x', '&#0;', '&#x110000;', '&#55296;', '&amp;#xD800;'),
    );
    await fc.assert(
      fc.asyncProperty(ids, events, mutations(), async (subscriptionId, event, mutate) => {
        const body = mutate(aSendNotification({ subscriptionId, events: event }));
        const answer = await world.ews.notifications(webhookRequest(body));
        assert.ok(answer.status < 500, `${answer.status} ${answer.body ?? ''}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
