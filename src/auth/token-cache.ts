import type { JwtKeyName } from '../metrics.js';
import type { AccessClaims, ForwardedUser } from './user.js';

/** A token that verified, with what it grants and when it stops being valid. */
interface Verified {
  readonly claims: AccessClaims;
  readonly user: ForwardedUser;
  /** The key that verified it. */
  readonly key: JwtKeyName;
  /** Seconds since the epoch: valid while now < exp and now >= nbf (jsonwebtoken's rules, no clock tolerance). */
  readonly exp: number;
  readonly nbf: number;
}

/**
 * Tokens that passed full verification, keyed by the whole token text (signature included), so a
 * client that sends the same token again skips the HMAC and JSON work. Only the time claims are
 * checked again on a hit; everything else about a token is fixed by its bytes and by the
 * configuration. Bounded: the oldest entry goes when it is full.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Verified>();

  constructor(readonly capacity: number) {}

  /** The cached grant of `token`, when it is still within its validity window. */
  get(token: string, nowSeconds: number): Verified | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowSeconds >= entry.exp) {
      this.#entries.delete(token);
      return undefined;
    }
    return nowSeconds >= entry.nbf ? entry : undefined;
  }

  /** Remembers a token that has just been verified. */
  set(token: string, claims: AccessClaims, user: ForwardedUser, key: JwtKeyName): void {
    if (typeof claims.exp !== 'number') return;
    if (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
    this.#entries.set(token, { claims, user, key, exp: claims.exp, nbf });
  }
}
