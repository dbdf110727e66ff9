import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { signHmac } from '../../demo/tokens.js';

/**
 * The secret test gateways verify with: jjwt cannot decode it as Base64 (`-` inside), so its 47 UTF-8 bytes are the key
 * (HS256 only).
 */
export const TEST_SECRET = 'test-secret-that-is-long-enough-for-production!';
export const TEST_ISSUER = 'http://localhost:4001';

/** Env that makes a test gateway require and verify tokens signed by {@link accessToken}. */
export const AUTH_ENV = { REQUIRE_AUTH: 'true', JWT_SECRET: TEST_SECRET, JWT_ISSUER: TEST_ISSUER };

const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** The one HMAC signer, shared with the demo's auth stub: `signHmac(claims, key, algorithm)`. */
export { signHmac, type HmacAlgorithm } from '../../demo/tokens.js';

/**
 * Signs `claims` with HS256 and `key` (a string is used as UTF-8, a Buffer as bytes), as jjwt would; `header` may lie.
 */
export function signHs256(
  claims: Record<string, unknown>,
  key: string | Buffer = TEST_SECRET,
  header: object = { alg: 'HS256', typ: 'JWT' },
): string {
  return signHmac(claims, key, 'HS256', header);
}

/** Claims of an access token as the shop's auth service issues it, valid for an hour, with `overrides`. */
export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'ada@example.com',
    userId: 42,
    role: 'USER',
    tokenType: 'access',
    iss: TEST_ISSUER,
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  };
}

/** A valid access token for the test gateways. */
export function accessToken(overrides: Record<string, unknown> = {}): string {
  return signHs256(accessClaims(overrides));
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

/** How each asymmetric JWS algorithm signs (RFC 7518 §3.3–3.5), with a fresh key pair. */
const ASYMMETRIC = {
  RS256: () => ({ pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), options: {} }),
  PS256: () => ({
    pair: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  }),
  ES256: () => ({
    pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    options: { dsaEncoding: 'ieee-p1363' as const },
  }),
} as const;

/** A token signed with `alg` and a fresh key pair, and the PEM of its public key (for algorithm-confusion attempts). */
export function asymmetricToken(
  alg: keyof typeof ASYMMETRIC,
  claims: Record<string, unknown>,
): { token: string; publicKeyPem: string } {
  const { pair, options } = ASYMMETRIC[alg]();
  const input = `${encode({ alg, typ: 'JWT' })}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: pair.privateKey, ...options }).toString('base64url');
  return {
    token: `${input}.${signature}`,
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Seconds since the epoch, for `exp`, `nbf` and `iat`. */
export function epochSeconds(offset = 0): number {
  return now() + offset;
}
