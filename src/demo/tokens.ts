import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { DemoUser } from './records.js';

/** Lifetimes of the stub's tokens, in seconds. */
const ACCESS_TTL_S = 15 * 60;
const REFRESH_TTL_S = 7 * 24 * 60 * 60;
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

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

/** Signs `claims` as a compact HS256 JWS (RFC 7515 §7.1), as jjwt does. */
export function signHs256(claims: Readonly<Record<string, unknown>>, key: KeyObject): string {
  const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** The claims of a token this stub signed with `key` and that has not expired; else undefined. */
export function verifyHs256(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const [header, payload, signature, extra] = token.split('.');
  if (header !== HEADER || payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
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
export function issueTokens(user: DemoUser, key: KeyObject, issuer: string | undefined): TokenPair {
  const iat = Math.floor(Date.now() / 1000);
  const common = { sub: user.email, userId: user.id, role: user.role, ...(issuer !== undefined && { iss: issuer }), iat };
  return {
    accessToken: signHs256({ ...common, tokenType: 'access', exp: iat + ACCESS_TTL_S }, key),
    refreshToken: signHs256({ ...common, tokenType: 'refresh', exp: iat + REFRESH_TTL_S }, key),
    tokenType: 'Bearer',
    expiresIn: ACCESS_TTL_S,
    userId: user.id,
    email: user.email,
    role: user.role,
  };
}
