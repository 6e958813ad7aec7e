import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Instant } from '../presence/model.ts';

/**
 * Graph subscriptions' clientStates that prove themselves: `v2.<user>.<issued>.<nonce>.<mac>`,
 * the MAC an HMAC-SHA256 under a key of this deployment over the rest, `issued` the second it
 * was made (base 36). Each is random (the nonce) and names the user whose calendar it watches,
 * so the webhook authenticates a notice and knows whom to re-read without a storage read per
 * notice. It is good for one subscription lifetime and a margin (CLIENT_STATE_VALID_MS): a
 * notification that leaks stops being useful, and since Graph cannot change a subscription's
 * clientState, a subscription is created anew, not renewed, once its state would not outlive it
 * (`coversSubscriptionUntil`). Other clientStates (random ones and `v1` from before, a user id too
 * long to fit, one signed under a key since lost) are checked against the stored subscription.
 *
 * The key can be rotated: states of the previous key stay valid for one validity after the
 * rotation, which is as long as any of them can be.
 */
const VERSION = 'v2';
/** Graph's limit on a clientState's length. */
const MAX_LENGTH = 128;
const MAC_BYTES = 24;
const MINUTE = 60_000;
/** The longest a Graph event subscription lives (10,080 minutes), so the longest a state must serve. */
export const GRAPH_EVENT_SUBSCRIPTION_MAX_MS = 10_080 * MINUTE;
/** Graph retries an undelivered notice for up to 4 hours: a state must outlive its subscription by that. */
export const GRAPH_RETRY_WINDOW_MS = 4 * 60 * MINUTE;
/** A state is refused this long after it was issued: a lifetime, the retries and an hour for clocks. */
export const CLIENT_STATE_VALID_MS = GRAPH_EVENT_SUBSCRIPTION_MAX_MS + GRAPH_RETRY_WINDOW_MS + 60 * MINUTE;
/** Keys are read again this often, so a rotation made by another process is seen. */
const KEYS_FOR_MS = 10 * MINUTE;

export type ClientStateCheck =
  | { readonly kind: 'signed'; readonly userId: string }
  /** Signed by us, and too old (or issued in the future): refused. */
  | { readonly kind: 'expired' }
  | { readonly kind: 'forged' }
  | { readonly kind: 'unsigned' };

/** The deployment's keys: new states are signed with `current`; `previous` still verifies until `rotatedAt` + a validity. */
export interface ClientStateKeys {
  readonly current: Buffer;
  readonly previous: Buffer | null;
  readonly rotatedAt: Instant | null;
}

export class ClientStates {
  readonly #loadKeys: () => Promise<ClientStateKeys>;
  readonly #now: () => Instant;
  #keys: { readonly loading: Promise<ClientStateKeys>; readonly at: Instant } | null = null;

  /** `loadKeys` is called once per KEYS_FOR_MS (again at once after it failed). */
  constructor(loadKeys: () => Promise<ClientStateKeys>, now: () => Instant = Date.now) {
    this.#loadKeys = loadKeys;
    this.#now = now;
  }

  async mint(userId: string): Promise<string> {
    const issued = Math.floor(this.#now() / 1000).toString(36);
    const signed = `${VERSION}.${Buffer.from(userId).toString('base64url')}.${issued}.${randomBytes(12).toString('base64url')}`;
    const state = `${signed}.${mac((await this.#keysNow()).current, signed).toString('base64url')}`;
    return state.length <= MAX_LENGTH ? state : randomBytes(16).toString('base64url');
  }

  /** Whether `clientState` is one of ours and still valid at `now`, compared in constant time, and whose. */
  async check(clientState: string, now: Instant = this.#now()): Promise<ClientStateCheck> {
    const parsed = parse(clientState);
    if (parsed === null) return { kind: 'unsigned' };
    const keys = await this.#keysNow();
    const verifying = [keys.current];
    if (keys.previous !== null && keys.rotatedAt !== null && now < keys.rotatedAt + CLIENT_STATE_VALID_MS) {
      verifying.push(keys.previous);
    }
    const actual = Buffer.from(parsed.mac, 'base64url');
    // Every key is tried, so the time taken does not tell which one matched.
    const matches = verifying.map((key) => {
      const expected = mac(key, parsed.signed);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    });
    if (!matches.includes(true)) return { kind: 'forged' };
    const userId = Buffer.from(parsed.user, 'base64url').toString();
    if (userId === '') return { kind: 'forged' };
    return isValidAt(parsed.issuedAt, now) ? { kind: 'signed', userId } : { kind: 'expired' };
  }

  #keysNow(): Promise<ClientStateKeys> {
    const now = this.#now();
    if (this.#keys === null || now - this.#keys.at >= KEYS_FOR_MS) {
      const loading = this.#loadKeys();
      const entry = { loading, at: now };
      this.#keys = entry;
      loading.catch(() => {
        if (this.#keys === entry) this.#keys = null;
      });
    }
    return this.#keys.loading;
  }
}

/**
 * Whether a subscription carrying `clientState` may live until `expiresAt`: true only for a
 * signed state (of this version) that stays valid for every notice the subscription can send,
 * retries included. Anything else (a random or `v1` state) makes renewal a new subscription.
 */
export function coversSubscriptionUntil(clientState: string | null, expiresAt: Instant): boolean {
  const parsed = clientState === null ? null : parse(clientState);
  return parsed !== null && expiresAt + GRAPH_RETRY_WINDOW_MS <= parsed.issuedAt + CLIENT_STATE_VALID_MS;
}

function isValidAt(issuedAt: Instant, now: Instant): boolean {
  // A state from the future (beyond clock skew) is no state we made.
  return issuedAt - 5 * MINUTE <= now && now < issuedAt + CLIENT_STATE_VALID_MS;
}

function parse(clientState: string): { signed: string; user: string; issuedAt: Instant; mac: string } | null {
  const parts = clientState.split('.');
  const [version, user, issued, nonce, given] = parts;
  if (parts.length !== 5 || version !== VERSION || user === undefined || nonce === undefined) return null;
  if (issued === undefined || given === undefined || !/^[0-9a-z]{1,10}$/.test(issued)) return null;
  return {
    signed: `${version}.${user}.${issued}.${nonce}`,
    user,
    issuedAt: Number.parseInt(issued, 36) * 1000,
    mac: given,
  };
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest().subarray(0, MAC_BYTES);
}
