import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { Secret } from '../../shared/config/secret.ts';

describe('§6 no secret ever appears in the log', () => {
  it('redacts a secret in strings, JSON and inspection', () => {
    const secret = new Secret('s3cr3t-value');
    const holder = { secret };
    assert.equal(String(secret), '[redacted]');
    assert.equal(`${secret}`, '[redacted]');
    assert.equal(JSON.stringify(holder), '{"secret":"[redacted]"}');
    assert.ok(!inspect(holder, { depth: 5 }).includes('s3cr3t-value'));
    assert.equal(secret.reveal(), 's3cr3t-value');
  });
});
