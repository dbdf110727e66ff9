import type { Next } from 'koa';
import koaJwt from 'koa-jwt';
import type { Logger } from 'pino';
import { readUser } from '../auth/claims.js';
import type { SecretKeyReading } from '../auth/key.js';
import { logSecretKey } from '../auth/key-report.js';
import type { VerifiedTokenCache } from '../auth/token-cache.js';
import type { Config } from '../config/index.js';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics, JwtKeyName } from '../metrics.js';
import { isUnderPrefix, readQueryParameter } from '../proxy/path.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';
import { markTokenRefused } from '../tracing/events.js';
import { ACCESS_TOKEN_PARAMETER, upgradeOf } from '../upgrade.js';

/** RFC 6750 §3: a 401 names the scheme the client must use. */
const CHALLENGE = { 'WWW-Authenticate': 'Bearer' };
const BEARER = /^bearer(\s|$)/i;
/** `Bearer <token>` exactly as koa-jwt reads it: one space-separated credential. */
const BEARER_TOKEN = /^bearer ([^ ]+)$/i;
/** jsonwebtoken's reasons that say the token was not signed with this key: then the previous key may have signed it. */
const OTHER_KEY = new Set(['invalid signature', 'invalid algorithm']);

/**
 * JWT validation on `/api/` (koa-jwt): HS256, HS384 and HS512, each only when the key is at least
 * as long as its hash (see auth/key.ts; never `none` or an asymmetric algorithm), issuer and
 * audience when configured, `exp` required, `nbf` honoured. The public paths of the request's
 * gateway file (`ctx.state.routing`) pass without a token.
 * A missing token is refused only when auth is required; a bearer token that is present must
 * always be valid. Failures answer 401 with a generic message; the reason goes to the log. A
 * token that verified is remembered (see token-cache.ts), so koa-jwt runs once per token rather
 * than once per request; the IP limit reads the same cache (see {@link createKnownUser}). Start-up logs how the key
 * was read (see key-report.ts).
 * A WebSocket handshake without an `Authorization` header may carry its token as the
 * `access_token` query parameter (see upgrade.ts). During a key rotation a token the current key
 * does not verify is tried with the previous one; `gateway_jwt_verified_total{key}` counts which.
 */
export function createAuth(options: {
  auth: Config['auth'];
  scope: string;
  /** Tokens that verified: shared with {@link createKnownUser}. */
  verified: VerifiedTokenCache;
  logger: Logger;
  metrics: GatewayMetrics;
}): GatewayMiddleware {
  const { auth, scope, verified, logger, metrics } = options;
  logSecretKey(logger, auth.key);
  const current = createVerifier(auth, auth.key);
  let previous: typeof current | undefined;
  if (auth.previousKey !== undefined) {
    logSecretKey(logger, auth.previousKey, 'JWT_SECRET_PREVIOUS');
    previous = createVerifier(auth, auth.previousKey);
  }

  function refuse(ctx: GatewayContext, reason: string, message = 'Invalid token'): never {
    logger.info({ correlationId: ctx.state.correlationId, path: ctx.path, reason }, 'authentication refused');
    markTokenRefused(ctx, reason);
    throw new GatewayError(401, 'UNAUTHORIZED', message, { headers: CHALLENGE });
  }

  /** Runs koa-jwt with the current key, then, when another key signed the token, the previous one. */
  async function verify(ctx: GatewayContext): Promise<{ key: JwtKeyName } | { refused: string }> {
    let reason = await attempt(current, ctx);
    if (reason === undefined) return { key: 'current' };
    if (previous === undefined || !OTHER_KEY.has(reason)) return { refused: reason };
    reason = await attempt(previous, ctx);
    return reason === undefined ? { key: 'previous' } : { refused: reason };
  }

  return async function authenticate(ctx, next) {
    if (!asksForToken(ctx, scope)) {
      await next();
      return;
    }
    const authorization = authorizationOf(ctx);
    // Auth optional: a request without a bearer token passes; one that presents a token is checked.
    if (!auth.required && !BEARER.test(authorization)) {
      await next();
      return;
    }
    const token = BEARER_TOKEN.exec(authorization.trim())?.[1];
    const hit = token !== undefined ? verified.get(token, nowSeconds()) : undefined;
    if (hit !== undefined) {
      ctx.state.claims = hit.claims;
      ctx.state.user = hit.user;
      metrics.jwtVerified(hit.key);
      await next();
      return;
    }
    const outcome = await verify(ctx);
    if ('refused' in outcome) {
      if (authorization === '') refuse(ctx, 'no token', 'Authentication required');
      refuse(ctx, outcome.refused);
    }
    const claims = ctx.state.claims ?? {};
    const user = readUser(claims);
    if (typeof user === 'string') refuse(ctx, user);
    ctx.state.user = user;
    if (token !== undefined) verified.set(token, claims, user, outcome.key);
    metrics.jwtVerified(outcome.key);
    await next();
  };
}

/**
 * The id of the user whose token the auth layer will take from its cache, read before that layer runs, or undefined
 * when it will verify the token itself or not look at one. The IP limit counts this user's limit in its own store
 * call (one Redis round trip for all three limits); the user limit then has nothing left to count.
 */
export function createKnownUser(options: {
  scope: string;
  verified: VerifiedTokenCache;
}): (ctx: GatewayContext) => string | undefined {
  const { scope, verified } = options;
  return (ctx) => {
    if (!asksForToken(ctx, scope)) return undefined;
    const token = BEARER_TOKEN.exec(authorizationOf(ctx).trim())?.[1];
    return token === undefined ? undefined : verified.get(token, nowSeconds())?.user.id;
  };
}

/** Whether the auth layer looks at the request's token: under the API scope, outside the file's public paths. */
function asksForToken(ctx: GatewayContext, scope: string): boolean {
  return isUnderPrefix(ctx.path, scope) && !ctx.state.routing.publicPaths.some((path) => isUnderPrefix(ctx.path, path));
}

/** The request's credentials as an `Authorization` value: a handshake's query token reads as `Bearer <token>`. */
function authorizationOf(ctx: GatewayContext): string {
  const queried = handshakeToken(ctx);
  return queried !== undefined ? `Bearer ${queried}` : ctx.get('Authorization');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** koa-jwt for one key: its algorithms only (see auth/key.ts), issuer and audience when configured. */
function createVerifier(auth: Config['auth'], key: SecretKeyReading): GatewayMiddleware {
  return koaJwt({
    // jsonwebtoken 9 takes a KeyObject; koa-jwt's types predate that.
    secret: key.key as unknown as Buffer,
    // koa-jwt hands this list to jsonwebtoken, which refuses any other `alg`; an empty list refuses all.
    algorithms: [...key.algorithms],
    ...(auth.issuer !== undefined && { issuer: auth.issuer }),
    ...(auth.audience !== undefined && { audience: auth.audience }),
    key: 'claims',
    debug: true,
    // koa-jwt reads the Authorization header itself; a handshake's query token is handed to it here.
    getToken: (ctx) => handshakeToken(ctx) ?? null,
  }) as GatewayMiddleware;
}

/** Runs one verifier: undefined when the token verified (claims in `ctx.state.claims`), else the reason. */
async function attempt(verifier: GatewayMiddleware, ctx: GatewayContext): Promise<string | undefined> {
  try {
    await verifier(ctx, passed as Next);
    return undefined;
  } catch (error) {
    return (error as { originalError?: Error }).originalError?.message ?? (error as Error).message;
  }
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
