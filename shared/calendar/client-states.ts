import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Graph subscriptions' clientStates that prove themselves: `v1.<user>.<nonce>.<mac>`, the MAC
 * an HMAC-SHA256 under a key of this deployment over the rest. Each is random (the nonce) and
 * names the user whose calendar it watches, so the webhook authenticates a notice and knows
 * whom to re-read without a storage read per notice. Other clientStates (random ones from
 * before, a user id too long to fit, or one signed under a key since lost) are checked against
 * the stored subscription as before.
 */
const VERSION = 'v1';
/** Graph's limit on a clientState's length. */
const MAX_LENGTH = 128;
const MAC_BYTES = 24;

export type ClientStateCheck =
  | { readonly kind: 'signed'; readonly userId: string }
  | { readonly kind: 'forged' }
  | { readonly kind: 'unsigned' };

export class ClientStates {
  readonly #loadKey: () => Promise<Buffer>;
  #key: Promise<Buffer> | null = null;

  /** `loadKey` is called once per process (again after it failed). */
  constructor(loadKey: () => Promise<Buffer>) {
    this.#loadKey = loadKey;
  }

  async mint(userId: string): Promise<string> {
    const signed = `${VERSION}.${Buffer.from(userId).toString('base64url')}.${randomBytes(12).toString('base64url')}`;
    const state = `${signed}.${mac(await this.#keyOnce(), signed).toString('base64url')}`;
    return state.length <= MAX_LENGTH ? state : randomBytes(16).toString('base64url');
  }

  /** Whether `clientState` is one of ours, compared in constant time, and whose. */
  async check(clientState: string): Promise<ClientStateCheck> {
    const parts = clientState.split('.');
    const [version, user, nonce, given] = parts;
    if (parts.length !== 4 || version !== VERSION || user === undefined || nonce === undefined) {
      return { kind: 'unsigned' };
    }
    const expected = mac(await this.#keyOnce(), `${version}.${user}.${nonce}`);
    const actual = Buffer.from(given ?? '', 'base64url');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { kind: 'forged' };
    const userId = Buffer.from(user, 'base64url').toString();
    return userId === '' ? { kind: 'forged' } : { kind: 'signed', userId };
  }

  #keyOnce(): Promise<Buffer> {
    if (this.#key === null) {
      const loading = this.#loadKey();
      this.#key = loading;
      loading.catch(() => {
        if (this.#key === loading) this.#key = null;
      });
    }
    return this.#key;
  }
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest().subarray(0, MAC_BYTES);
}
