import { createHmac } from 'node:crypto';

const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url');

/**
 * An HS256 access token shaped like the shop's auth service issues them, valid for a day: an admin's, since the bench
 * posts products (ADMIN-only in config/gateway.yaml).
 */
export function signAccessToken(options: { secret: string; issuer: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: 'ada@example.com',
    userId: 42,
    role: 'ADMIN',
    tokenType: 'access',
    iss: options.issuer,
    iat: now,
    exp: now + 86_400,
  };
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${input}.${createHmac('sha256', options.secret).update(input).digest('base64url')}`;
}
