import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningDemo, startDemo } from '../../dev/demo/demo.ts';
import { DEMO_HOMES } from '../../dev/demo/hybrid-demo.ts';
import { homesOf } from '../../dev/exchange-sim/organization-split.ts';
import { getServices } from '../../shared/app/services.ts';
import { wireMailboxCheck } from '../../shared/app/wire-sync.ts';
import { runMailboxCheck } from '../../shared/sync/check-mailboxes.ts';

/** SPEC §8 with CALENDAR_SOURCE=hybrid: the offline demo on both sides, one mailbox migrating during a meeting. */
describe('§8 the hybrid offline demo', () => {
  let demo: RunningDemo;
  const presenceOf = (id: string) => demo.phonelink.presenceOf(id);
  const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  before(async () => {
    // Dan's private meeting runs from 30 s to 2 min; his mailbox moves 40 s in.
    demo = await startDemo({
      port: 0,
      dataDir: null,
      source: 'hybrid',
      moveAfterMs: 40_000,
      print: () => undefined,
    });
  });
  after(async () => {
    await demo?.stop();
  });

  it('serves users on both sides', async () => {
    const sides = DEMO_HOMES.map(([, home]) => home);
    assert.ok(sides.includes('exchangeOnline') && sides.includes('exchangeServer'));
    await waitFor('Ann (Exchange Online) and Eve (Exchange Server)', () => {
      return presenceOf('201') !== null && presenceOf('205')?.availability === 'OutOfOffice';
    });
  });

  it("follows Dan's mailbox to Exchange Online during his private meeting, his presence staying right", async () => {
    await waitFor('Dan in his meeting', () => presenceOf('204')?.availability === 'Meeting');
    const dan = demo.exchange.mailboxes.user('dan@contoso.com');
    await waitFor('the migration', () => homesOf(demo.exchange.mailboxes).homeOf(dan) === 'exchangeOnline');
    await runMailboxCheck(wireMailboxCheck(getServices()));
    const lines = (await getServices().logReader.readAfter(null, 10_000)).map((e) => e.line);
    assert.ok(lines.includes('dan@contoso.com moved to Exchange Online'));
    await waitFor(
      'the Graph subscription',
      async () => (await getServices().subscriptions.getByUser('204'))?.source === 'graph',
    );
    const presence = presenceOf('204');
    assert.equal(presence?.availability, 'Meeting');
    assert.equal(presence?.note, null);
  });
});
