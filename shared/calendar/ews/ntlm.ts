import { createHash, createHmac, randomBytes } from 'node:crypto';
import md4 from 'js-md4';

/**
 * NTLMv2 (MS-NLMP) for HTTP authentication to Exchange: the negotiate and authenticate messages
 * a client sends, the challenge it reads, and the NTLMv2 hashes both sides compute. NTLMv1 and
 * LM are not implemented: they are broken and Exchange does not need them. MD4 comes from
 * js-md4 because OpenSSL 3 (Node 17+) no longer offers it; HMAC-MD5 is node:crypto's.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');

export const NTLM_FLAGS = {
  unicode: 0x00000001,
  oem: 0x00000002,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
  bits128: 0x20000000,
  bits56: 0x80000000,
} as const;

const NEGOTIATE_FLAGS =
  NTLM_FLAGS.unicode |
  NTLM_FLAGS.oem |
  NTLM_FLAGS.requestTarget |
  NTLM_FLAGS.ntlm |
  NTLM_FLAGS.alwaysSign |
  NTLM_FLAGS.extendedSessionSecurity |
  NTLM_FLAGS.bits128 |
  NTLM_FLAGS.bits56;

/** AV pair ids (MS-NLMP 2.2.2.1) in the challenge's target info. */
const MSV_AV_EOL = 0;
const MSV_AV_TIMESTAMP = 7;
export const MSV_AV_CHANNEL_BINDINGS = 10;
/** Milliseconds between 1601-01-01 (FILETIME epoch) and 1970-01-01. */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

export interface NtlmCredentials {
  /** The account name without domain, or a UPN (then `domain` is empty, as Windows sends it). */
  readonly user: string;
  readonly domain: string;
  readonly password: string;
}

/** `DOMAIN\name` → domain and name; a UPN stays whole with an empty domain. */
export function splitAccount(account: string, password: string): NtlmCredentials {
  const slash = account.indexOf('\\');
  if (slash > 0) return { domain: account.slice(0, slash), user: account.slice(slash + 1), password };
  return { domain: '', user: account, password };
}

export function ntowfv2(credentials: NtlmCredentials): Buffer {
  const ntHash = Buffer.from(md4.arrayBuffer(Buffer.from(credentials.password, 'utf16le')));
  return hmacMd5(ntHash, Buffer.from(credentials.user.toUpperCase() + credentials.domain, 'utf16le'));
}

/** NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge || temp), temp being the client's blob. */
export function ntProofStr(responseKey: Buffer, serverChallenge: Buffer, temp: Buffer): Buffer {
  return hmacMd5(responseKey, Buffer.concat([serverChallenge, temp]));
}

export function hmacMd5(key: Buffer, data: Buffer): Buffer {
  return createHmac('md5', key).update(data).digest();
}

/** The client's first message, as the value of an `Authorization` header. */
export function negotiateHeader(): string {
  const message = Buffer.alloc(32);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  message.writeUInt32LE(NEGOTIATE_FLAGS >>> 0, 12);
  // Empty domain and workstation fields: offsets point at the end of the fixed part.
  message.writeUInt32LE(32, 20);
  message.writeUInt32LE(32, 28);
  return `NTLM ${message.toString('base64')}`;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetInfo: Buffer;
}

/** Reads the server's challenge from a `WWW-Authenticate: NTLM <base64>` value; null when it is none. */
export function parseChallengeHeader(header: string): ChallengeMessage | null {
  const match = /^NTLM ([A-Za-z0-9+/=]+)$/.exec(header.trim());
  if (!match?.[1]) return null;
  const message = Buffer.from(match[1], 'base64');
  if (message.length < 48 || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== 2) {
    return null;
  }
  const flags = message.readUInt32LE(20);
  const targetInfo = securityBuffer(message, 40);
  if (targetInfo === null) return null;
  return { flags, serverChallenge: Buffer.from(message.subarray(24, 32)), targetInfo };
}

/** The client's answer to `challenge`: an NTLMv2 response, as the value of an `Authorization` header. */
export function authenticateHeader(
  challenge: ChallengeMessage,
  credentials: NtlmCredentials,
  options: {
    readonly clientChallenge?: Buffer;
    readonly now?: number;
    /** MD5 of the TLS channel bindings (channelBindingsHash): Extended Protection for Authentication. */
    readonly channelBindings?: Buffer | null;
  } = {},
): string {
  const clientChallenge = options.clientChallenge ?? randomBytes(8);
  const responseKey = ntowfv2(credentials);
  const timestamp = avTimestamp(challenge.targetInfo) ?? filetime(options.now ?? Date.now());
  const targetInfo =
    options.channelBindings === undefined || options.channelBindings === null
      ? challenge.targetInfo
      : withAvPair(challenge.targetInfo, MSV_AV_CHANNEL_BINDINGS, options.channelBindings);
  const temp = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    targetInfo,
    Buffer.alloc(4),
  ]);
  const proof = ntProofStr(responseKey, challenge.serverChallenge, temp);
  const ntResponse = Buffer.concat([proof, temp]);
  const lmResponse = Buffer.concat([
    hmacMd5(responseKey, Buffer.concat([challenge.serverChallenge, clientChallenge])),
    clientChallenge,
  ]);
  const domain = Buffer.from(credentials.domain, 'utf16le');
  const user = Buffer.from(credentials.user, 'utf16le');
  const workstation = Buffer.alloc(0);
  const payloads = [lmResponse, ntResponse, domain, user, workstation, Buffer.alloc(0)];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = header.length;
  payloads.forEach((payload, index) => {
    const at = 12 + index * 8;
    header.writeUInt16LE(payload.length, at);
    header.writeUInt16LE(payload.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += payload.length;
  });
  const flags = (challenge.flags & NEGOTIATE_FLAGS) | NTLM_FLAGS.unicode;
  header.writeUInt32LE(flags >>> 0, 60);
  return `NTLM ${Buffer.concat([header, ...payloads]).toString('base64')}`;
}

/** The bytes a security buffer (length, allocated, offset) at `at` points to; null when out of range. */
export function securityBuffer(message: Buffer, at: number): Buffer | null {
  if (at + 8 > message.length) return null;
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > message.length) return null;
  return Buffer.from(message.subarray(offset, offset + length));
}

export function filetime(epochMs: number): Buffer {
  const value = (BigInt(Math.trunc(epochMs)) + FILETIME_EPOCH_OFFSET_MS) * 10_000n;
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(value);
  return buffer;
}

/** The value of AV pair `wanted` in a target-info block, or null. */
export function avPairValue(targetInfo: Buffer, wanted: number): Buffer | null {
  let at = 0;
  while (at + 4 <= targetInfo.length) {
    const id = targetInfo.readUInt16LE(at);
    const length = targetInfo.readUInt16LE(at + 2);
    if (id === MSV_AV_EOL || at + 4 + length > targetInfo.length) return null;
    if (id === wanted) return Buffer.from(targetInfo.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return null;
}

function avTimestamp(targetInfo: Buffer): Buffer | null {
  const value = avPairValue(targetInfo, MSV_AV_TIMESTAMP);
  return value?.length === 8 ? value : null;
}

/** The target info with one more AV pair before its terminator. */
function withAvPair(targetInfo: Buffer, id: number, value: Buffer): Buffer {
  const pairs: Buffer[] = [];
  let at = 0;
  while (at + 4 <= targetInfo.length) {
    const pairId = targetInfo.readUInt16LE(at);
    const length = targetInfo.readUInt16LE(at + 2);
    if (pairId === MSV_AV_EOL || at + 4 + length > targetInfo.length) break;
    pairs.push(targetInfo.subarray(at, at + 4 + length));
    at += 4 + length;
  }
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([...pairs, head, value, Buffer.alloc(4)]);
}

/**
 * RFC 5929 `tls-server-end-point` channel bindings as NTLM carries them (MsvAvChannelBindings):
 * MD5 of a gss_channel_bindings_struct with no addresses and the application data
 * "tls-server-end-point:" + hash of the server certificate. The hash is the certificate's own
 * signature hash, SHA-256 when that is MD5 or SHA-1.
 */
export function channelBindingsHash(serverCertificateDer: Buffer): Buffer {
  const certificateHash = createHash(endPointHash(serverCertificateDer))
    .update(serverCertificateDer)
    .digest();
  const applicationData = Buffer.concat([Buffer.from('tls-server-end-point:', 'ascii'), certificateHash]);
  const header = Buffer.alloc(20);
  header.writeUInt32LE(applicationData.length, 16);
  return createHash('md5')
    .update(Buffer.concat([header, applicationData]))
    .digest();
}

/** Signature algorithm OIDs (DER) whose hash is not SHA-256. */
const SIGNATURE_HASHES: readonly { readonly oid: Buffer; readonly hash: 'sha384' | 'sha512' }[] = [
  { oid: Buffer.from('2a864886f70d01010c', 'hex'), hash: 'sha384' }, // sha384WithRSAEncryption
  { oid: Buffer.from('2a864886f70d01010d', 'hex'), hash: 'sha512' }, // sha512WithRSAEncryption
  { oid: Buffer.from('2a8648ce3d040303', 'hex'), hash: 'sha384' }, // ecdsa-with-SHA384
  { oid: Buffer.from('2a8648ce3d040304', 'hex'), hash: 'sha512' }, // ecdsa-with-SHA512
];

function endPointHash(der: Buffer): 'sha256' | 'sha384' | 'sha512' {
  // The outer signatureAlgorithm sits just before the signature, near the end of the DER.
  const tail = der.subarray(Math.max(0, der.length - 600));
  for (const { oid, hash } of SIGNATURE_HASHES) if (tail.includes(oid)) return hash;
  return 'sha256';
}
