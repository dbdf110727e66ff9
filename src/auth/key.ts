import { createSecretKey, type KeyObject } from 'node:crypto';
import { Base64DecodingError, decodeJjwtBase64 } from './jjwt-base64.js';

/** How `JWT_SECRET` is read: `auto` as the auth service reads it, or one reading forced. */
export type SecretEncoding = 'auto' | 'base64' | 'utf8';

/** The HMAC algorithms a token may be signed with. */
export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';

/**
 * Each HMAC algorithm with the shortest key it may use: its hash length (RFC 7518 §3.2). jjwt's
 * `Keys.hmacShaKeyFor` enforces the same bounds and signs with the strongest one the key allows.
 */
const MIN_KEY_BYTES: ReadonlyArray<readonly [HmacAlgorithm, number]> = [
  ['HS256', 32],
  ['HS384', 48],
  ['HS512', 64],
];

/** What the shop's auth service (jjwt 0.12.6) does with the same secret. */
export type AuthServiceOutcome =
  /** `signWith(key)` picks the algorithm from the key length. */
  | { readonly result: 'signs'; readonly algorithm: HmacAlgorithm; readonly keyBytes: number }
  /** Under 32 bytes: `Keys.hmacShaKeyFor` throws `WeakKeyException`, the service cannot sign. */
  | { readonly result: 'weak-key'; readonly keyBytes: number }
  /** `Decoders.BASE64` throws `DecodingException`, which the service's UTF-8 fallback does not catch. */
  | { readonly result: 'cannot-decode'; readonly reason: string };

/** What was read from `JWT_SECRET`: the key and everything start-up reports about it (never the bytes). */
export interface SecretKeyReading {
  /** Made once: jsonwebtoken 9 re-creates a key from a string secret on every verify (node-jsonwebtoken#1046). */
  readonly key: KeyObject;
  readonly encoding: 'base64' | 'utf8';
  /** True when `JWT_SECRET_ENCODING` chose the reading rather than `auto`. */
  readonly forced: boolean;
  /** Key length in bytes. */
  readonly length: number;
  /** Algorithms whose hash is no longer than the key; none under 32 bytes. */
  readonly algorithms: readonly HmacAlgorithm[];
  readonly service: AuthServiceOutcome;
  /** True when the auth service derives these same bytes, so the tokens it signs can verify here. */
  readonly sameKeyAsService: boolean;
}

/** `JWT_SECRET_ENCODING=base64` with a secret the auth service's decoder cannot read: start-up stops. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

/**
 * Reads `secret` into the HMAC key exactly as the shop's auth service does (interop/README.md):
 * `Decoders.BASE64.decode(secret)` (see jjwt-base64.ts), else the secret's UTF-8 bytes. `base64`
 * or `utf8` forces one reading; `base64` with a secret jjwt cannot decode throws {@link SecretKeyError}
 * naming `name`, the variable the secret came from.
 */
export function readSecretKey(secret: string, encoding: SecretEncoding, name = 'JWT_SECRET'): SecretKeyReading {
  let decoded: Buffer | undefined;
  let failure = '';
  try {
    decoded = decodeJjwtBase64(secret);
  } catch (error) {
    if (!(error instanceof Base64DecodingError)) throw error;
    failure = error.message;
  }
  if (encoding === 'base64' && decoded === undefined) {
    throw new SecretKeyError(
      `JWT_SECRET_ENCODING=base64 but ${name} is not Base64 as the auth service decodes it (${failure})`,
    );
  }
  const base64 = encoding === 'base64' || (encoding === 'auto' && decoded !== undefined);
  const bytes = base64 ? decoded! : Buffer.from(secret, 'utf8');
  return {
    key: createSecretKey(bytes),
    encoding: base64 ? 'base64' : 'utf8',
    forced: encoding !== 'auto',
    length: bytes.length,
    algorithms: MIN_KEY_BYTES.filter(([, min]) => bytes.length >= min).map(([algorithm]) => algorithm),
    service: decoded === undefined ? { result: 'cannot-decode', reason: failure } : serviceOutcome(decoded.length),
    sameKeyAsService: decoded !== undefined && decoded.equals(bytes),
  };
}

/** `Keys.hmacShaKeyFor` then `signWith`: the strongest algorithm the key length allows, else WeakKeyException. */
function serviceOutcome(keyBytes: number): AuthServiceOutcome {
  const strongest = MIN_KEY_BYTES.filter(([, min]) => keyBytes >= min).at(-1);
  return strongest === undefined
    ? { result: 'weak-key', keyBytes }
    : { result: 'signs', algorithm: strongest[0], keyBytes };
}
