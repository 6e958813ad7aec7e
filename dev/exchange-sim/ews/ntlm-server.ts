import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  avPairValue,
  filetime,
  MSV_AV_CHANNEL_BINDINGS,
  NTLM_FLAGS,
  ntowfv2,
  ntProofStr,
  securityBuffer,
  splitAccount,
} from '../../../shared/calendar/ews/ntlm.ts';

/**
 * The server half of NTLM as IIS in front of Exchange does it, NTLMv2 only (LmCompatibilityLevel 5):
 * a challenge with target info, and the check of the client's NTProofStr against the password
 * the simulated directory holds.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const DOMAIN = 'CONTOSO';
const SERVER = 'EXCH01';

const CHALLENGE_FLAGS =
  NTLM_FLAGS.unicode |
  NTLM_FLAGS.requestTarget |
  NTLM_FLAGS.ntlm |
  NTLM_FLAGS.alwaysSign |
  NTLM_FLAGS.targetTypeDomain |
  NTLM_FLAGS.extendedSessionSecurity |
  NTLM_FLAGS.targetInfo |
  NTLM_FLAGS.bits128 |
  NTLM_FLAGS.bits56;

/** The message type of an `NTLM <base64>` header value (1, 3 …), or null. */
export function ntlmMessageType(header: string): { readonly type: number; readonly message: Buffer } | null {
  const match = /^NTLM ([A-Za-z0-9+/=]+)$/.exec(header.trim());
  if (!match?.[1]) return null;
  const message = Buffer.from(match[1], 'base64');
  if (message.length < 12 || !message.subarray(0, 8).equals(SIGNATURE)) return null;
  return { type: message.readUInt32LE(8), message };
}

/** A fresh challenge: the header value to send, and the 8 bytes to remember for this connection. */
export function createChallenge(now: number): { readonly header: string; readonly serverChallenge: Buffer } {
  const serverChallenge = randomBytes(8);
  const target = Buffer.from(DOMAIN, 'utf16le');
  const targetInfo = Buffer.concat([
    avPair(2, Buffer.from(DOMAIN, 'utf16le')),
    avPair(1, Buffer.from(SERVER, 'utf16le')),
    avPair(4, Buffer.from('contoso.com', 'utf16le')),
    avPair(3, Buffer.from('exch01.contoso.com', 'utf16le')),
    avPair(7, filetime(now)),
    avPair(0, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(target.length, 12);
  header.writeUInt16LE(target.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(CHALLENGE_FLAGS >>> 0, 20);
  serverChallenge.copy(header, 24);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(56 + target.length, 44);
  const message = Buffer.concat([header, target, targetInfo]);
  return { header: `NTLM ${message.toString('base64')}`, serverChallenge };
}

export interface SimAccount {
  /** `DOMAIN\name` or a UPN. */
  readonly username: string;
  readonly password: string;
}

/**
 * The account whose password produced this AUTHENTICATE message for `serverChallenge`, or a
 * reason. NTLMv1 answers (24 bytes) are refused.
 */
export function verifyAuthenticate<A extends SimAccount>(
  message: Buffer,
  serverChallenge: Buffer,
  accounts: readonly A[],
  /** Extended Protection: the channel bindings the answer must carry (null: not checked). */
  channelBindings: Buffer | null = null,
): { readonly ok: true; readonly account: A } | { readonly ok: false; readonly reason: string } {
  if (message.length < 64 || message.readUInt32LE(8) !== 3)
    return { ok: false, reason: 'not an AUTHENTICATE message' };
  const ntResponse = securityBuffer(message, 20);
  const domainBytes = securityBuffer(message, 28);
  const userBytes = securityBuffer(message, 36);
  if (ntResponse === null || domainBytes === null || userBytes === null) {
    return { ok: false, reason: 'malformed AUTHENTICATE message' };
  }
  if (ntResponse.length <= 24) return { ok: false, reason: 'NTLMv1 refused' };
  const unicode = (message.readUInt32LE(60) & NTLM_FLAGS.unicode) !== 0;
  const encoding = unicode ? 'utf16le' : 'latin1';
  const user = userBytes.toString(encoding);
  const domain = domainBytes.toString(encoding);
  const proof = ntResponse.subarray(0, 16);
  const temp = ntResponse.subarray(16);
  if (channelBindings !== null) {
    // temp: 8 bytes header, 8 timestamp, 8 client challenge, 4 reserved, then the AV pairs.
    const bound = temp.length > 28 ? avPairValue(temp.subarray(28), MSV_AV_CHANNEL_BINDINGS) : null;
    if (bound === null || !bound.equals(channelBindings)) {
      return { ok: false, reason: 'Extended Protection: the answer is not bound to this TLS channel' };
    }
  }
  for (const account of accounts) {
    const expected = splitAccount(account.username, account.password);
    if (expected.user.toLowerCase() !== user.toLowerCase()) continue;
    if (expected.domain !== '' && expected.domain.toLowerCase() !== domain.toLowerCase()) continue;
    // NTOWFv2 takes the user and domain as the client sent them.
    const key = ntowfv2({ user, domain, password: account.password });
    const computed = ntProofStr(key, serverChallenge, temp);
    if (timingSafeEqual(computed, proof)) return { ok: true, account };
  }
  return {
    ok: false,
    reason: `wrong user name or password for ${domain === '' ? '' : `${domain}\\`}${user}`,
  };
}

function avPair(id: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
}
