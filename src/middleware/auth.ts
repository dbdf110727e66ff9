import type { Next } from 'koa';
import koaJwt from 'koa-jwt';
import type { Logger } from 'pino';
import { readUser } from '../auth/claims.js';
import { readSecretKey } from '../auth/key.js';
import { logSecretKey } from '../auth/key-report.js';
import { VerifiedTokenCache } from '../auth/token-cache.js';
import type { Config } from '../config/index.js';
import { GatewayError } from '../errors.js';
import { isUnderPrefix, readQueryParameter } from '../proxy/path.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';
import { markTokenRefused } from '../tracing/events.js';
import { ACCESS_TOKEN_PARAMETER, upgradeOf } from '../upgrade.js';

/** RFC 6750 §3: a 401 names the scheme the client must use. */
const CHALLENGE = { 'WWW-Authenticate': 'Bearer' };
const BEARER = /^bearer(\s|$)/i;
/** `Bearer <token>` exactly as koa-jwt reads it: one space-separated credential. */
const BEARER_TOKEN = /^bearer ([^ ]+)$/i;
/** Distinct valid tokens remembered at once (a few MB at most). */
const CACHED_TOKENS = 10_000;

/**
 * JWT validation on `/api/` (koa-jwt): HS256, HS384 and HS512, each only when the key is at least
 * as long as its hash (see auth/key.ts; never `none` or an asymmetric algorithm), issuer and
 * audience when configured, `exp` required, `nbf` honoured. Public paths pass without a token.
 * A missing token is refused only when auth is required; a bearer token that is present must
 * always be valid. Failures answer 401 with a generic message; the reason goes to the log. A
 * token that verified is remembered (see token-cache.ts), so koa-jwt runs once per token rather
 * than once per request. Start-up logs how the key was read (see key-report.ts).
 * A WebSocket handshake without an `Authorization` header may carry its token as the
 * `access_token` query parameter (see upgrade.ts).
 */
export function createAuth(options: { auth: Config['auth']; scope: string; logger: Logger }): GatewayMiddleware {
  const { auth, scope, logger } = options;
  const verified = new VerifiedTokenCache(CACHED_TOKENS);
  const key = readSecretKey(auth.secret, auth.secretEncoding);
  logSecretKey(logger, key);
  const verify = koaJwt({
    // jsonwebtoken 9 takes a KeyObject; koa-jwt's types predate that.
    secret: key.key as unknown as Buffer,
    // koa-jwt hands this list to jsonwebtoken, which refuses any other `alg`; an empty list refuses all.
    algorithms: [...key.algorithms],
    ...(auth.issuer !== undefined && { issuer: auth.issuer }),
    ...(auth.audience !== undefined && { audience: auth.audience }),
    key: 'claims',
    debug: true,
    // koa-jwt reads the Authorization header itself; a handshake's query token is handed to it here.
    getToken: (ctx) => handshakeToken(ctx as GatewayContext) ?? null,
  });

  function refuse(ctx: GatewayContext, reason: string, message = 'Invalid token'): never {
    logger.info({ correlationId: ctx.state.correlationId, path: ctx.path, reason }, 'authentication refused');
    markTokenRefused(ctx, reason);
    throw new GatewayError(401, 'UNAUTHORIZED', message, { headers: CHALLENGE });
  }

  return async function authenticate(ctx, next) {
    if (!isUnderPrefix(ctx.path, scope) || auth.publicPaths.some((path) => isUnderPrefix(ctx.path, path))) {
      return next();
    }
    const queried = handshakeToken(ctx);
    const authorization = queried !== undefined ? `Bearer ${queried}` : ctx.get('Authorization');
    // Auth optional: a request without a bearer token passes; one that presents a token is checked.
    if (!auth.required && !BEARER.test(authorization)) return next();
    const token = BEARER_TOKEN.exec(authorization.trim())?.[1];
    const hit = token !== undefined ? verified.get(token, Math.floor(Date.now() / 1000)) : undefined;
    if (hit !== undefined) {
      ctx.state.claims = hit.claims;
      ctx.state.user = hit.user;
      return next();
    }
    try {
      await verify(ctx, passed as Next);
    } catch (error) {
      const reason = (error as { originalError?: Error }).originalError?.message ?? (error as Error).message;
      if (authorization === '') refuse(ctx, 'no token', 'Authentication required');
      refuse(ctx, reason);
    }
    const claims = ctx.state.claims ?? {};
    const user = readUser(claims);
    if (typeof user === 'string') refuse(ctx, user);
    ctx.state.user = user;
    if (token !== undefined) verified.set(token, claims, user);
    return next();
  };
}

/** The `access_token` of a WebSocket handshake that has no `Authorization` header: browsers cannot set one. */
function handshakeToken(ctx: GatewayContext): string | undefined {
  if (ctx.get('Authorization') !== '' || upgradeOf(ctx.req)?.kind !== 'websocket') return undefined;
  const token = readQueryParameter(ctx.url, ACCESS_TOKEN_PARAMETER);
  return token === '' ? undefined : token;
}

function passed(): Promise<void> {
  return Promise.resolve();
}
