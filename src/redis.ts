import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisTarget } from './config/index.js';
import { followSwitchMaster } from './sentinel-switch.js';
import { withTimeout } from './with-timeout.js';

const CONNECT_TIMEOUT_MS = 1000;
/** Reconnect backoff: 100 ms, 200 ms, … capped here, for as long as Redis stays away. */
const MAX_RECONNECT_DELAY_MS = 2000;
const QUIT_TIMEOUT_MS = 1000;

const backoff = (attempt: number): number => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS);

/**
 * The ioredis options for `target`. A request never waits for Redis: no offline queue (a command
 * fails at once while disconnected), a short command timeout, and a bounded reconnect backoff,
 * through a failover as much as through an outage.
 */
export function redisOptions(target: RedisTarget, commandTimeoutMs: number): RedisOptions {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: backoff,
    // A master demoted to replica while we stay connected (a managed failover, SENTINEL FAILOVER)
    // answers writes with READONLY: reconnect, which finds the new master (ioredis README, "Reconnect on Error").
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    // Commands issued in the same tick (many requests at once) go out in one write.
    enableAutoPipelining: true,
  };
  if (target.kind === 'url') {
    // ioredis turns TLS on only for a URL starting with the lower-case `rediss://`; `REDISS://` is
    // the same URL and must not silently connect in clear text.
    return new URL(target.url).protocol === 'rediss:' ? { ...common, tls: {} } : common;
  }
  return {
    ...common,
    sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
    name: target.master,
    password: target.password,
    sentinelPassword: target.sentinelPassword,
    sentinelCommandTimeout: CONNECT_TIMEOUT_MS,
    sentinelRetryStrategy: backoff,
    // ioredis's failoverDetector stays off: see followSwitchMaster, which does its work without
    // dropping a connection that is already on the new master.
  };
}

/**
 * The Redis connection of the shared rate limiter, to one server or to the master a Sentinel
 * group names, moving when the sentinels announce a new one (see {@link redisOptions} and
 * {@link followSwitchMaster}). Connecting starts now, in the background. Each
 * connection logs the master's address; a new address after a failover is logged as a move.
 */
export function createRedis(target: RedisTarget, options: { commandTimeoutMs: number; logger: Logger }): Redis {
  const { commandTimeoutMs, logger } = options;
  const settings = redisOptions(target, commandTimeoutMs);
  const redis = target.kind === 'url' ? new Redis(target.url, settings) : new Redis(settings);
  if (target.kind === 'sentinel') followSwitchMaster(redis, target, logger);
  let master: string | undefined;
  redis.on('ready', () => {
    const address = `${redis.stream.remoteAddress}:${redis.stream.remotePort}`;
    if (master !== undefined && master !== address) {
      logger.warn({ redis: 'ready', master: address, previous: master }, 'redis master moved');
    } else {
      logger.info({ redis: 'ready', master: address }, 'redis connected');
    }
    master = address;
  });
  // The limiter logs changes of state once; connection errors repeat on every reconnect attempt.
  redis.on('error', (error: NodeJS.ErrnoException) =>
    logger.debug({ code: error.code, cause: error.message }, 'redis connection error'),
  );
  redis.on('sentinelError', (error: Error) => logger.debug({ cause: error.message }, 'redis sentinel unreachable'));
  return redis;
}

/** Closes the connection: QUIT when connected (bounded in time), else drop it. */
export async function quitRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await withTimeout(
      redis.quit().then(
        () => undefined,
        () => undefined,
      ),
      QUIT_TIMEOUT_MS,
    );
  }
  redis.disconnect();
}
