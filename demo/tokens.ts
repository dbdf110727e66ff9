import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { DemoUser } from './records.js';

/** Lifetimes of the stub's tokens, in seconds. */
const ACCESS_TTL_S = 15 * 60;
const REFRESH_TTL_S = 7 * 24 * 60 * 60;

/** The body of a successful login or refresh, shaped like the shop's auth service answers it. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly userId: number;
  readonly email: string;
  readonly role: string;
}

/** The HMAC algorithms of JWS (RFC 7518 §3.2) and the hash each uses. */
const HASHES = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

/** A JWS HMAC algorithm: jjwt picks one by the key's length (32–47, 48–63, 64+ bytes). */
export type HmacAlgorithm = keyof typeof HASHES;

/** A string key is used as its UTF-8 bytes, a Buffer as bytes, as jjwt reads a secret. */
export type HmacKey = KeyObject | Buffer | string;

/** The key the stub auth service signs with, and the one algorithm jjwt picks for its length. */
export interface SigningKey {
  readonly key: KeyObject;
  readonly algorithm: HmacAlgorithm;
}

/** The encoded header of every token signed with `algorithm` by {@link signHmac}'s default. */
function headerOf(algorithm: HmacAlgorithm): string {
  return Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT' })).toString('base64url');
}

function mac(input: string, key: HmacKey, algorithm: HmacAlgorithm): Buffer {
  return createHmac(HASHES[algorithm], key).update(input).digest();
}

/**
 * Signs `claims` as a compact JWS (RFC 7515 §7.1) with `algorithm`, as jjwt does. The demo's auth
 * stub and the tests sign with this one function; `header` lets a test send a header that lies.
 */
export function signHmac(
  claims: Readonly<Record<string, unknown>>,
  key: HmacKey,
  algorithm: HmacAlgorithm = 'HS256',
  header: object = { alg: algorithm, typ: 'JWT' },
): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${mac(input, key, algorithm).toString('base64url')}`;
}

/**
 * The claims of a token this stub signed with `signing` and that has not expired; else undefined.
 * Only the stub's own header is accepted, so a token signed with another algorithm is refused.
 */
export function verifyHmac(token: string, signing: SigningKey): Record<string, unknown> | undefined {
  const { key, algorithm } = signing;
  const [header, payload, signature, extra] = token.split('.');
  if (header !== headerOf(algorithm) || payload === undefined || signature === undefined || extra !== undefined)
    return undefined;
  const expected = mac(`${header}.${payload}`, key, algorithm);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof claims.exp === 'number' && claims.exp > Date.now() / 1000 ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** An access and a refresh token for `user`, with the claims of the shop's auth service (`sub` is the email). */
export function issueTokens(user: DemoUser, signing: SigningKey, issuer: string | undefined): TokenPair {
  const { key, algorithm } = signing;
  const iat = Math.floor(Date.now() / 1000);
  const common = {
    sub: user.email,
    userId: user.id,
    role: user.role,
    ...(issuer !== undefined && { iss: issuer }),
    iat,
  };
  return {
    accessToken: signHmac({ ...common, tokenType: 'access', exp: iat + ACCESS_TTL_S }, key, algorithm),
    refreshToken: signHmac({ ...common, tokenType: 'refresh', exp: iat + REFRESH_TTL_S }, key, algorithm),
    tokenType: 'Bearer',
    expiresIn: ACCESS_TTL_S,
    userId: user.id,
    email: user.email,
    role: user.role,
  };
}
