import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { syncDirectory } from '../../shared/phonelink/directory-sync.ts';
import { utc } from '../support/builders.ts';
import { type PipelineWorld, startPipelineWorld } from './support/pipeline-world.ts';

describe('§4 user directory sync', () => {
  let world: PipelineWorld;
  const sync = () => syncDirectory(world.directorySync);

  before(async () => {
    world = await startPipelineWorld([
      { id: '201', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true },
      { id: '202', name: 'Bob Jones', email: null, calendarIntegration: true },
      { id: '203', name: 'Carla Diaz', email: '', calendarIntegration: true },
      { id: '204', name: 'Dan Reception', calendarIntegration: true },
      { id: '205', name: 'Eve Porter', email: 'eve@contoso.com', calendarIntegration: false },
      { id: '206', name: 'Finn Boyle', email: 'finn@contoso.com', calendarIntegration: true },
    ]);
    world.setNow(utc('2026-11-24T03:00:00Z'));
  });
  after(() => world.stop());

  it('integrates users with Calendar Integration and an email, and names each skipped user in the log', async () => {
    const result = await sync();
    assert.deepEqual(
      result.integrated.map((u) => u.id),
      ['201', '206'],
    );
    assert.deepEqual(result.removed, []);
    assert.deepEqual(
      result.joined.map((u) => u.id),
      ['201', '206'],
    );
    const lines = await world.logLines();
    for (const [name, id] of [
      ['Bob Jones', '202'],
      ['Carla Diaz', '203'],
      ['Dan Reception', '204'],
    ]) {
      assert.ok(lines.includes(`Skipping user ${name} (${id}): no email address`), `${name} named`);
    }
    assert.ok(lines.includes('Skipping user Eve Porter (205): Calendar Integration is not ticked'));
    assert.equal((await world.deps.users.list()).length, 6);
    assert.equal((await world.deps.users.get('202'))?.skipReason, 'no email address');
  });

  it('reports users no longer integrated, so their subscriptions can go', async () => {
    world.sim.setUsers([
      { id: '201', name: 'Ann Smith', email: 'ann.smith@contoso.com', calendarIntegration: true },
      { id: '205', name: 'Eve Porter', email: 'eve@contoso.com', calendarIntegration: true },
    ]);
    const result = await sync();
    assert.deepEqual(
      result.integrated.map((u) => u.id),
      ['201', '205'],
    );
    // Ann's email changed: her old mailbox's subscription goes too.
    assert.deepEqual(
      result.removed.map((u) => [u.id, u.email]),
      [
        ['201', 'ann@contoso.com'],
        ['206', 'finn@contoso.com'],
      ],
    );
    assert.equal(await world.deps.users.get('206'), null);
    // Joined: Eve (ticked now) and Ann under her new address; nothing is kept for either.
    assert.deepEqual(
      result.joined.map((u) => [u.id, u.email]),
      [
        ['201', 'ann.smith@contoso.com'],
        ['205', 'eve@contoso.com'],
      ],
    );
    assert.deepEqual((await sync()).joined, []);
  });

  it('leaves the stored directory alone when PHONE-LiNK cannot be read, and says it is unreachable', async () => {
    world.sim.setFault({ status: 503 });
    await assert.rejects(sync(), { code: 'phonelink.unreachable' });
    assert.equal((await world.healthStore.list()).find((h) => h.component === 'phonelink')?.ok, false);
    world.sim.setFault(null);
    assert.equal((await world.deps.users.list()).length, 2);
  });

  it('skips an entry it cannot keep, with a log line, and syncs everyone else', async () => {
    const kept = { id: '207', name: 'Gil Mora', email: 'gil@contoso.com', calendarIntegration: true };
    world.sim.setUsers([
      { id: '20\ud800', name: 'Lone Surrogate', email: 'lone@contoso.com', calendarIntegration: true },
      { id: '9'.repeat(2_000), name: 'Long Id', email: 'long@contoso.com', calendarIntegration: true },
      { id: '208', name: 'Bad \udc00 Name', email: 'bad@contoso.com', calendarIntegration: true },
      { id: '209', name: 'Bad Address', email: 'x\ud800@contoso.com', calendarIntegration: true },
      kept,
    ]);
    const result = await sync();
    assert.deepEqual(
      result.integrated.map((u) => u.id),
      ['207'],
    );
    assert.deepEqual(
      (await world.deps.users.list()).map((u) => u.id),
      ['207'],
    );
    const skipped = (await world.logLines()).filter((line) => line.startsWith('Skipping PHONE-LiNK user'));
    assert.equal(skipped.length, 4, skipped.join('\n'));
    assert.ok(
      skipped.includes(
        'Skipping PHONE-LiNK user "20\\ud800": the id is no valid id (empty, too long, or not text)',
      ),
    );
  });
  it('keeps a name Azurite refuses in a transaction, stored on its own, and syncs everyone else', async () => {
    // Azurite fails a whole transaction (500) over one value holding U+2028 or U+2029; alone it takes it.
    const directory = Array.from({ length: 30 }, (_, i) => ({
      id: String(300 + i),
      name: i === 12 ? 'Line\u2028Break Para\u2029Graph' : `User ${300 + i}`,
      email: `user${300 + i}@contoso.com`,
      calendarIntegration: true,
    }));
    world.sim.setUsers(directory);
    const result = await sync();
    assert.equal(result.integrated.length, 30);
    const stored = await world.deps.users.list();
    assert.deepEqual(stored.map((u) => u.id).sort(), directory.map((u) => u.id).sort());
    assert.equal((await world.deps.users.get('312'))?.name, 'Line\u2028Break Para\u2029Graph');
  });
});
