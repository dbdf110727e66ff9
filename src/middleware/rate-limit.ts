import type { RouteLimit } from '../config/index.js';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { isUnderPrefix } from '../proxy/path.js';
import type { CounterStore, WindowHit } from '../rate-limit/store.js';
import type { GatewayContext, GatewayMiddleware, LimitKind, RateLimitState } from '../state.js';
import { markRateLimited } from '../tracing/events.js';

/** IETF draft-ietf-httpapi-ratelimit-headers names. */
const LIMIT = 'RateLimit-Limit';
const REMAINING = 'RateLimit-Remaining';
const RESET = 'RateLimit-Reset';

/** Options of one rate-limit layer. */
export interface RateLimitOptions {
  /** Only paths under this prefix are limited (`/api`). */
  readonly scope: string;
  /** `ip`: before authentication, by client address, with the route limits; `user`: after it, by verified user. */
  readonly by: 'ip' | 'user';
  readonly max: number;
  /** Per-IP limits of paths (the gateway file's `limit`s); only the `ip` layer counts them. */
  readonly routes: readonly RouteLimit[];
  readonly windowMs: number;
  readonly store: CounterStore;
  /**
   * Key prefix, e.g. `gateway:ratelimit`: keys are `<prefix>:ip:<ip>`, `<prefix>:route:<path>:<ip>`,
   * `<prefix>:user:<id>`.
   */
  readonly prefix: string;
  readonly metrics: GatewayMetrics;
  /**
   * The `ip` layer only: the user limit, counted with the IP and route limits in one store call when the request's
   * user is already known (a token the auth layer has cached, see `createKnownUser`).
   */
  readonly user?: { readonly max: number; readonly knownUser: (ctx: GatewayContext) => string | undefined };
}

/**
 * Limits `/api/` requests per fixed window: by client IP (`ctx.ip`, X-Forwarded-For only behind a
 * trusted proxy) plus any route limit on the path, or by the verified user (`userId`, else `sub`),
 * so one user's tokens and addresses share one budget and users behind one NAT do not. Every
 * limited response describes the limit nearest to exhaustion across both layers; over any
 * limit, 429 with `Retry-After`. When the user is known before authentication (`user`), the `ip` layer counts the
 * user's limit too and the `user` layer counts nothing more: one store call (one Redis round trip) per request.
 */
export function createRateLimit(options: RateLimitOptions): GatewayMiddleware {
  const { scope, by, max, routes, windowMs, store, prefix, metrics, user } = options;
  const windowSeconds = Math.ceil(windowMs / 1000);
  const ipKey = `${prefix}:ip:`;
  const userKey = `${prefix}:user:`;
  /** The user limit of a user known ahead (`user`): the `ip` layer only. */
  const userMax = user?.max ?? max;
  const routeKeys = routes.map((route) => ({ ...route, key: `${prefix}:route:${route.path}:` }));

  /** The limits this request counts against, with their keys; none when it has no one to count. */
  function limitsOf(ctx: GatewayContext): { keys: string[]; maxes: number[]; kinds: LimitKind[] } | undefined {
    if (by === 'user') {
      const id = ctx.state.user?.id;
      return id === undefined || id === ctx.state.userLimitCounted
        ? undefined
        : { keys: [userKey + id], maxes: [max], kinds: ['user'] };
    }
    // No address: the client's socket is already gone; there is no one left to limit.
    const { ip } = ctx;
    if (ip === '') return undefined;
    const keys = [ipKey + ip];
    const maxes = [max];
    const kinds: LimitKind[] = ['ip'];
    for (const route of routeKeys) {
      if (isUnderPrefix(ctx.path, route.path)) {
        keys.push(route.key + ip);
        maxes.push(route.max);
        kinds.push('route');
      }
    }
    const known = user?.knownUser(ctx);
    if (known !== undefined) {
      keys.push(userKey + known);
      maxes.push(userMax);
      kinds.push('user');
      // Counted in this call: the user layer leaves this user be.
      ctx.state.userLimitCounted = known;
    }
    return { keys, maxes, kinds };
  }

  return async function rateLimit(ctx, next) {
    if (!isUnderPrefix(ctx.path, scope)) {
      await next();
      return;
    }
    const limits = limitsOf(ctx);
    if (limits === undefined) {
      await next();
      return;
    }
    const hits = await store.hit(limits.keys);
    let nearest = ctx.state.rateLimit;
    for (let i = 0; i < hits.length; i += 1) {
      const state = stateOf(hits[i]!, limits.maxes[i]!, limits.kinds[i]!, windowSeconds);
      if (nearest === undefined || isNearer(state, nearest)) nearest = state;
    }
    ctx.state.rateLimit = nearest;
    ctx.set(LIMIT, String(nearest!.limit));
    ctx.set(REMAINING, String(nearest!.remaining));
    ctx.set(RESET, String(nearest!.resetSeconds));
    if (nearest!.exceeded) {
      metrics.rateLimited(nearest!.kind);
      markRateLimited(ctx, nearest!);
      throw new GatewayError(429, 'TOO_MANY_REQUESTS', 'Too many requests', {
        headers: { 'Retry-After': String(nearest!.resetSeconds) },
      });
    }
    await next();
  };
}

/** A counted hit seen against its limit; the reset is whole seconds, at least 1, at most the window. */
function stateOf(hit: WindowHit, max: number, kind: LimitKind, windowSeconds: number): RateLimitState {
  return {
    kind,
    limit: max,
    remaining: Math.max(0, max - hit.count),
    resetSeconds: Math.min(windowSeconds, Math.max(1, Math.ceil(hit.resetMs / 1000))),
    exceeded: hit.count > max,
  };
}

/** Nearer to exhaustion: exceeded first, then fewer remaining, then the later reset (the longer wait). */
function isNearer(candidate: RateLimitState, current: RateLimitState): boolean {
  if (candidate.exceeded !== current.exceeded) return candidate.exceeded;
  if (candidate.remaining !== current.remaining) return candidate.remaining < current.remaining;
  return candidate.resetSeconds > current.resetSeconds;
}
