import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ntlmClient from '@ewsjs/ntlm-client';
import {
  createChallenge,
  ntlmMessageType,
  verifyAuthenticate,
} from '../../dev/exchange-sim/ews/ntlm-server.ts';
import {
  authenticateHeader,
  channelBindingsHash,
  hmacMd5,
  ntowfv2,
  ntProofStr,
  parseChallengeHeader,
  splitAccount,
} from '../../shared/calendar/ews/ntlm.ts';

/** MS-NLMP §4.2.4: the published NTLMv2 test vectors. */
const SPEC = {
  credentials: { user: 'User', domain: 'Domain', password: 'Password' },
  serverChallenge: Buffer.from('0123456789abcdef', 'hex'),
  clientChallenge: Buffer.from('aaaaaaaaaaaaaaaa', 'hex'),
};

function avPair(id: number, text: string): Buffer {
  const value = Buffer.from(text, 'utf16le');
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
}

describe('NTLMv2 (MS-NLMP)', () => {
  it('computes the §4.2.4 NTOWFv2, NTProofStr and LMv2 values', () => {
    const key = ntowfv2(SPEC.credentials);
    assert.equal(key.toString('hex'), '0c868a403bfd7a93a3001ef22ef02e3f');
    const targetInfo = Buffer.concat([avPair(2, 'Domain'), avPair(1, 'Server'), Buffer.alloc(4)]);
    const temp = Buffer.concat([
      Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.alloc(8),
      SPEC.clientChallenge,
      Buffer.alloc(4),
      targetInfo,
      Buffer.alloc(4),
    ]);
    assert.equal(
      ntProofStr(key, SPEC.serverChallenge, temp).toString('hex'),
      '68cd0ab851e51c96aabc927bebef6a1c',
    );
    const lmv2 = hmacMd5(key, Buffer.concat([SPEC.serverChallenge, SPEC.clientChallenge]));
    assert.equal(lmv2.toString('hex'), '86c35097ac9cec102554764a57cccc19');
  });

  it('splits DOMAIN\\name and keeps a UPN whole', () => {
    assert.deepEqual(splitAccount('CONTOSO\\svc', 'p'), { domain: 'CONTOSO', user: 'svc', password: 'p' });
    assert.deepEqual(splitAccount('svc@contoso.com', 'p'), {
      domain: '',
      user: 'svc@contoso.com',
      password: 'p',
    });
  });

  it('is accepted by the simulated server for the right password only', () => {
    const challenge = createChallenge(Date.now());
    const parsed = parseChallengeHeader(challenge.header);
    assert.ok(parsed);
    const accounts = [{ username: 'CONTOSO\\svc', password: 'right' }];
    const answer = (password: string) => {
      const message = ntlmMessageType(authenticateHeader(parsed, splitAccount('CONTOSO\\svc', password)));
      assert.equal(message?.type, 3);
      return verifyAuthenticate(message.message, challenge.serverChallenge, accounts);
    };
    assert.equal(answer('right').ok, true);
    assert.equal(answer('wrong').ok, false);
  });

  it('the simulated server accepts an independent NTLMv2 client (@ewsjs/ntlm-client)', () => {
    const challenge = createChallenge(Date.now());
    const type2 = ntlmClient.decodeType2Message(challenge.header);
    const type3 = ntlmClient.createType3Message(type2, 'svc', 'right', 'WORKSTATION', 'CONTOSO');
    const message = ntlmMessageType(type3);
    assert.ok(message);
    const verified = verifyAuthenticate(message.message, challenge.serverChallenge, [
      { username: 'CONTOSO\\svc', password: 'right' },
    ]);
    assert.equal(verified.ok, true);
  });

  it('binds the answer to the TLS channel when the server asks for Extended Protection', () => {
    const certificate = Buffer.from('a DER certificate stands here');
    const bindings = channelBindingsHash(certificate);
    const accounts = [{ username: 'CONTOSO\\svc', password: 'right' }];
    const challenge = createChallenge(Date.now());
    const parsed = parseChallengeHeader(challenge.header);
    assert.ok(parsed);
    const answer = (channelBindings: Buffer | null) => {
      const message = ntlmMessageType(
        authenticateHeader(parsed, splitAccount('CONTOSO\\svc', 'right'), { channelBindings }),
      );
      assert.ok(message);
      return verifyAuthenticate(message.message, challenge.serverChallenge, accounts, bindings).ok;
    };
    assert.equal(answer(bindings), true);
    assert.equal(answer(null), false);
    assert.equal(answer(channelBindingsHash(Buffer.from('another certificate'))), false);
  });

  it('refuses a replayed answer to another challenge', () => {
    const first = createChallenge(Date.now());
    const parsed = parseChallengeHeader(first.header);
    assert.ok(parsed);
    const message = ntlmMessageType(authenticateHeader(parsed, splitAccount('CONTOSO\\svc', 'right')));
    assert.ok(message);
    const second = createChallenge(Date.now());
    const verified = verifyAuthenticate(message.message, second.serverChallenge, [
      { username: 'CONTOSO\\svc', password: 'right' },
    ]);
    assert.equal(verified.ok, false);
  });

  it('reads no challenge from garbage', () => {
    for (const header of [
      'NTLM',
      'NTLM !!!',
      `NTLM ${Buffer.from('NTLMSSP\0').toString('base64')}`,
      'Basic abc',
    ]) {
      assert.equal(parseChallengeHeader(header), null, header);
    }
  });
});
