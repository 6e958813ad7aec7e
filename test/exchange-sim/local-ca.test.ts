import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureLocalCa } from '../../dev/exchange-sim/local-ca.ts';

describe('local CA of the simulated Exchange', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-ca-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('issues a server certificate for localhost and 127.0.0.1, signed by the CA', async () => {
    const ca = await ensureLocalCa(dir);
    const server = new X509Certificate(ca.certPem);
    const root = new X509Certificate(ca.caPem);
    assert.ok(server.verify(root.publicKey));
    assert.ok(root.ca && !server.ca);
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  });

  it('reuses the CA kept in its directory', async () => {
    const first = await ensureLocalCa(dir);
    const second = await ensureLocalCa(dir);
    assert.equal(second.caPem, first.caPem);
    assert.equal(second.caPath, join(dir, 'ca.pem'));
  });
});
