import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { sharingTokenRequests } from '../../shared/calendar/graph/graph-client.ts';

/** A credential that answers after a tick and counts what it was asked. */
function aCountingCredential() {
  const asked: string[] = [];
  const credential: TokenCredential = {
    async getToken(scopes) {
      asked.push([scopes].flat().join(' '));
      await new Promise((resolve) => setImmediate(resolve));
      return {
        token: `token-${asked.length}`,
        expiresOnTimestamp: Date.now() + 3_600_000,
      } satisfies AccessToken;
    },
  };
  return { credential, asked };
}

describe('§7 Graph credentials', () => {
  it('asks Entra ID once when the jobs of a cold instance want a token at the same time', async () => {
    const { credential, asked } = aCountingCredential();
    const shared = sharingTokenRequests(credential);
    const tokens = await Promise.all(
      Array.from({ length: 12 }, () => shared.getToken('https://graph.microsoft.com/.default')),
    );
    assert.deepEqual(asked, ['https://graph.microsoft.com/.default']);
    assert.ok(tokens.every((t) => t?.token === 'token-1'));
  });

  it('asks again once the shared request is answered, and for other scopes or a claims challenge', async () => {
    const { credential, asked } = aCountingCredential();
    const shared = sharingTokenRequests(credential);
    await shared.getToken('https://graph.microsoft.com/.default');
    await Promise.all([
      shared.getToken('https://graph.microsoft.com/.default'),
      shared.getToken('https://graph.microsoft.us/.default'),
      shared.getToken('https://graph.microsoft.com/.default', { claims: 'eyJhY2Nlc3NfdG9rZW4iOnt9fQ' }),
    ]);
    assert.equal(asked.length, 4);
  });

  it('passes a failure to every caller that shared the request, and tries afresh after it', async () => {
    let calls = 0;
    const shared = sharingTokenRequests({
      async getToken() {
        calls += 1;
        if (calls === 1) throw new Error('AADSTS7000215: Invalid client secret provided.');
        return { token: 'ok', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    });
    const first = await Promise.allSettled([shared.getToken('s'), shared.getToken('s')]);
    assert.deepEqual(
      first.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal((await shared.getToken('s'))?.token, 'ok');
    assert.equal(calls, 2);
  });
});
