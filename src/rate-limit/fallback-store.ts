import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { createMemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import type { CounterStore } from './store.js';

/** After a Redis failure, hits are counted in memory for this long before Redis is tried again. */
const REDIS_RETRY_MS = 1000;

/**
 * The limiter's store: Redis when configured, shared by every replica; this replica's memory when
 * not. Redis down or slow never fails or holds a hit: it is counted in memory instead, the change
 * is logged once, and Redis is tried again a second later. Every limit goes through this one store,
 * so they fall back and come back together.
 */
export function createCounterStore(options: {
  windowMs: number;
  redis: Redis | undefined;
  logger: Logger;
  metrics: GatewayMetrics;
}): CounterStore {
  const { windowMs, redis, logger, metrics } = options;
  const memory = createMemoryStore(windowMs);
  if (redis === undefined) {
    metrics.limiterStore('memory');
    return memory;
  }
  const shared = createRedisStore(redis, windowMs);
  metrics.limiterStore('redis');
  let onRedis = true;
  let retryRedisAt = 0;

  function fallBack(details: Record<string, unknown>, reason: string): void {
    if (!onRedis) return;
    onRedis = false;
    metrics.limiterStore('memory-fallback');
    logger.warn(details, `rate limiter: ${reason}; falling back to per-replica memory limits`);
  }

  return {
    async hit(keys) {
      if (redis.status !== 'ready') {
        fallBack({ redisStatus: redis.status }, 'Redis not connected');
      } else if (Date.now() >= retryRedisAt) {
        try {
          const hits = await shared.hit(keys);
          if (!onRedis) {
            onRedis = true;
            metrics.limiterStore('redis');
            logger.info('rate limiter: Redis answers again; limits are shared across replicas');
          }
          return hits;
        } catch (error) {
          retryRedisAt = Date.now() + REDIS_RETRY_MS;
          fallBack({ cause: (error as Error).message }, 'Redis unavailable');
        }
      }
      return memory.hit(keys);
    },
  };
}
