import { Redis } from 'ioredis';
import type { Logger } from 'pino';

const CONNECT_TIMEOUT_MS = 1000;
/** Reconnect backoff: 100 ms, 200 ms, … capped here, for as long as Redis stays away. */
const MAX_RECONNECT_DELAY_MS = 2000;
const QUIT_TIMEOUT_MS = 1000;

/**
 * The Redis connection of the shared rate limiter. It never makes a request wait for Redis:
 * no offline queue (a command fails at once while disconnected), a short command timeout, and a
 * bounded reconnect backoff. Connecting starts now, in the background.
 */
export function createRedis(url: string, options: { commandTimeoutMs: number; logger: Logger }): Redis {
  const { commandTimeoutMs, logger } = options;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // Commands issued in the same tick (many requests at once) go out in one write.
    enableAutoPipelining: true,
  });
  redis.on('ready', () => logger.info({ redis: 'ready' }, 'redis connected'));
  // The limiter logs changes of state once; connection errors repeat on every reconnect attempt.
  redis.on('error', (error: NodeJS.ErrnoException) => logger.debug({ code: error.code }, 'redis connection error'));
  return redis;
}

/** Closes the connection: QUIT when connected (bounded in time), else drop it. */
export async function quitRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS).unref());
    await Promise.race([redis.quit().then(() => undefined, () => undefined), timeout]);
  }
  redis.disconnect();
}
