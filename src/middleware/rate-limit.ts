import type { Redis } from 'ioredis';
import type { Middleware } from 'koa';
import ratelimit from 'koa-ratelimit';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { GatewayError } from '../errors.js';
import { isUnderPrefix } from '../proxy/path.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';

/** IETF draft-ietf-httpapi-ratelimit-headers names; koa-ratelimit writes the reset as an epoch, fixed below. */
const HEADERS = { total: 'RateLimit-Limit', remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset' };
/** After a Redis failure, requests use the in-memory limit for this long before Redis is tried again. */
const REDIS_RETRY_MS = 1000;

/** Options of the rate limiter. */
export interface RateLimitOptions {
  readonly windowMs: number;
  readonly max: number;
  /** Shared store; without it the limit is per replica, in memory. */
  readonly redis: Redis | undefined;
  readonly prefix: string;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
}

/**
 * Limits `/api/` requests per client IP (`ctx.ip`: X-Forwarded-For counts only when the proxy is
 * trusted) with koa-ratelimit. With Redis the count is shared by every replica (one Lua script per
 * request, atomic). Redis down or slow never fails a request: the replica falls back to its
 * in-memory limit, logs the change once, and returns to Redis when it answers again.
 */
export function createRateLimit(options: RateLimitOptions): GatewayMiddleware {
  const { windowMs, max, redis, prefix, logger, metrics } = options;
  const common = { duration: windowMs, max, namespace: prefix, headers: HEADERS, id: (ctx: { ip: string }) => ctx.ip };
  // One long-lived Map: a Map per request would limit nothing.
  const memory = new Map<string, { reset: number }>();
  const memoryLimit = ratelimit({ ...common, driver: 'memory', db: memory });
  const redisLimit = redis !== undefined ? ratelimit({ ...common, driver: 'redis', db: redis }) : undefined;
  let store: 'redis' | 'memory' = redis !== undefined ? 'redis' : 'memory';
  metrics.limiterStore(store);
  let retryRedisAt = 0;
  let nextSweep = Date.now() + windowMs;
  const windowSeconds = Math.ceil(windowMs / 1000);

  /** Switches to the per-replica count after Redis failed; logs the change once. */
  function fallBack(details: Record<string, unknown>, reason: string): void {
    if (store !== 'redis') return;
    store = 'memory';
    metrics.limiterStore('memory-fallback');
    logger.warn(details, `rate limiter: ${reason}; falling back to per-replica memory limits`);
  }

  function sweepExpired(now: number): void {
    if (now < nextSweep) return;
    nextSweep = now + windowMs;
    for (const [key, entry] of memory) if (entry.reset * 1000 < now) memory.delete(key);
  }

  async function limit(ctx: GatewayContext): Promise<boolean> {
    const now = Date.now();
    if (redisLimit !== undefined && redis?.status === 'ready' && now >= retryRedisAt) {
      try {
        const passed = await check(redisLimit, ctx);
        if (store === 'memory') {
          store = 'redis';
          metrics.limiterStore('redis');
          logger.info('rate limiter: Redis answers again; limits are shared across replicas');
        }
        return passed;
      } catch (error) {
        retryRedisAt = Date.now() + REDIS_RETRY_MS;
        fallBack({ cause: (error as Error).message }, 'Redis unavailable');
      }
    } else if (redisLimit !== undefined && redis?.status !== 'ready') {
      fallBack({ redisStatus: redis?.status }, 'Redis not connected');
    }
    sweepExpired(now);
    return check(memoryLimit, ctx);
  }

  return async function rateLimit(ctx, next) {
    // No address: the client's socket is already gone. koa-ratelimit would assert on the empty id
    // (and that would read as a Redis failure); there is no one left to limit.
    if (!isUnderPrefix(ctx.path, '/api') || ctx.ip === '') return next();
    const passed = await limit(ctx);
    // koa-ratelimit's clocks (hrtime from a start-up Date.now) drift from Date.now: never report more than a window.
    const reset = Math.min(windowSeconds, secondsUntil(Number(ctx.response.get(HEADERS.reset))));
    ctx.set(HEADERS.reset, String(reset));
    if (!passed) {
      metrics.rateLimited();
      throw new GatewayError(429, 'TOO_MANY_REQUESTS', 'Too many requests', {
        headers: { 'Retry-After': String(Math.max(1, reset)) },
      });
    }
    return next();
  };
}

/** Runs a koa-ratelimit middleware as a check only: true when it would let the request through. */
async function check(limit: Middleware, ctx: GatewayContext): Promise<boolean> {
  let passed = false;
  await limit(ctx, async () => {
    passed = true;
  });
  return passed;
}

function secondsUntil(epochSeconds: number): number {
  return Number.isFinite(epochSeconds) ? Math.max(0, Math.ceil(epochSeconds - Date.now() / 1000)) : 0;
}
