import type { AccessClaims, ForwardedUser } from './user.js';

/** What a header value may hold (Node refuses anything else): tab, visible ASCII, space, obs-text. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The user context sent downstream, or the reason the claims are refused: `exp` is required; a
 * present `tokenType` must be `access` (a refresh token is not a credential for the API);
 * the user must be identified (`userId`, else `sub`).
 */
export function readUser(claims: AccessClaims): ForwardedUser | string {
  if (typeof claims.exp !== 'number') return 'token has no exp claim';
  if (claims.tokenType !== undefined && claims.tokenType !== 'access')
    return `token type ${typeof claims.tokenType === 'string' ? claims.tokenType : JSON.stringify(claims.tokenType)} is not access`;
  const id = scalar(claims.userId) ?? scalar(claims.sub);
  if (id === undefined) return 'token names no user (userId or sub)';
  const email = scalar(claims.email) ?? scalar(claims.sub) ?? '';
  const role = scalar(claims.role);
  if (![id, email, role ?? ''].every((value) => HEADER_VALUE.test(value)))
    return 'token claims cannot be sent as headers';
  return { id, email, role };
}

function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
