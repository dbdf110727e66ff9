import { createSign, generateKeyPairSync } from 'node:crypto';
import { signHmac } from '../../demo/tokens.js';

/** The secret test gateways verify with (not valid Base64, so its UTF-8 bytes are the key). */
export const TEST_SECRET = 'test-secret-that-is-long-enough-for-production!';
export const TEST_ISSUER = 'http://localhost:4001';

/** Env that makes a test gateway require and verify tokens signed by {@link accessToken}. */
export const AUTH_ENV = { REQUIRE_AUTH: 'true', JWT_SECRET: TEST_SECRET, JWT_ISSUER: TEST_ISSUER };

const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** Signs `claims` with HS256 and `key` (a string is used as UTF-8, a Buffer as bytes), as jjwt would. */
export function signHs256(claims: Record<string, unknown>, key: string | Buffer = TEST_SECRET, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  return signHmac(claims, key, 'HS256', header);
}

/** Claims of an access token as the shop's auth service issues it, valid for an hour, with `overrides`. */
export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'ada@example.com', userId: 42, role: 'USER', tokenType: 'access', iss: TEST_ISSUER, iat: now(), exp: now() + 3600, ...overrides };
}

/** A valid access token for the test gateways. */
export function accessToken(overrides: Record<string, unknown> = {}): string {
  return signHs256(accessClaims(overrides));
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

/** An RS256 token and the PEM of its public key (for algorithm-confusion attempts). */
export function rs256Token(claims: Record<string, unknown>): { token: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
  return { token: `${input}.${signature}`, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Seconds since the epoch, for `exp`, `nbf` and `iat`. */
export function epochSeconds(offset = 0): number {
  return now() + offset;
}
