// The host's zone must not matter: this file runs as if the functions host were in New York.
process.env.TZ = 'America/New_York';

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { utc } from '../support/builders.ts';
import { type EwsWorld, startEwsWorld } from './ews-fixture.ts';

describe('§3 rule 1 over EWS on a host in New York', () => {
  let world: EwsWorld;
  before(async () => {
    world = await startEwsWorld();
  });
  after(async () => {
    await world.stop();
  });

  it('runs in New York (a local date-time is not UTC here)', () =>
    assert.equal(new Date(2026, 10, 24).getTimezoneOffset(), 300));

  it('reads GetUserOofSettings Duration times, which carry no zone designator, as UTC', async () => {
    world.mailboxes.addUser({ email: 'jon@contoso.com' });
    world.mailboxes.setAutomaticReplies('jon@contoso.com', {
      status: 'scheduled',
      start: utc('2026-11-25T08:00:00Z'),
      end: utc('2026-11-27T17:30:00Z'),
      internalReplyMessage: 'On leave',
    });
    const result = (await world.source().readOutOfOffice([{ userId: 'jon', email: 'jon@contoso.com' }])).get(
      'jon',
    );
    assert.deepEqual(result?.ok && result.value.outOfOffice, {
      status: 'scheduled',
      start: utc('2026-11-25T08:00:00Z'),
      end: utc('2026-11-27T17:30:00Z'),
      internalReplyHtml: 'On leave',
    });
  });
});
