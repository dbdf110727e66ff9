import { createSecretKey, type KeyObject } from 'node:crypto';

/** Standard Base64 (RFC 4648 §4): the alphabet `A–Z a–z 0–9 + /`, `=` padding, a multiple of 4 long. */
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key as the shop's auth service (Spring + jjwt) derives it from the same secret: a
 * secret that is valid standard Base64 is decoded, any other is taken as UTF-8; `encoding`
 * forces one reading. Returned as a KeyObject, made once: jsonwebtoken 9 re-creates a key from
 * a string secret on every verify (node-jsonwebtoken#1046).
 */
export function deriveSecretKey(secret: string, encoding: 'auto' | 'base64' | 'utf8'): KeyObject {
  const base64 = encoding === 'base64' || (encoding === 'auto' && secret.length > 0 && STANDARD_BASE64.test(secret));
  return createSecretKey(base64 ? Buffer.from(secret, 'base64') : Buffer.from(secret, 'utf8'));
}
