import { readSecretKey } from '../src/auth/key.js';
import type { SigningKey } from './tokens.js';

/** How to make a secret the auth service can use. */
const SECRET_ADVICE =
  "use Base64 of 32 or more random bytes, e.g. `openssl rand -base64 64 | tr -d '\\n'` (openssl wraps its output, and jjwt refuses a newline inside)";

/** What the shop's auth service does with a secret: signs with this key and algorithm, or fails (the line says why). */
export type AuthServiceSigning =
  { readonly result: 'signs'; readonly signing: SigningKey } | { readonly result: 'fails'; readonly problem: string };

/**
 * Reads `secret` as the shop's auth service does (jjwt 0.12: Base64-decoded, then HS256, HS384 or
 * HS512 by the key's length; interop/README.md), whatever `JWT_SECRET_ENCODING` tells the gateway.
 * A secret jjwt cannot use gives one line naming JWT_SECRET, never its value.
 */
export function readAuthServiceSigning(secret: string): AuthServiceSigning {
  const reading = readSecretKey(secret, 'auto');
  const { service } = reading;
  if (service.result === 'signs')
    return { result: 'signs', signing: { key: reading.key, algorithm: service.algorithm } };
  const reason =
    service.result === 'cannot-decode'
      ? `jjwt's Base64 decoder refuses it (${service.reason}) and does not fall back to text`
      : `it decodes to a ${service.keyBytes}-byte key, under the 32 jjwt requires (WeakKeyException)`;
  return { result: 'fails', problem: `JWT_SECRET cannot be used by the auth service: ${reason}; ${SECRET_ADVICE}` };
}
