import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisTarget } from './config/index.js';
import { ignore } from './ignore.js';

/** Sentinel's pub/sub announcement of a new master: `<name> <old-ip> <old-port> <new-ip> <new-port>`. */
const SWITCH_MASTER = '+switch-master';

/**
 * Moves `redis` to a newly promoted master as soon as a sentinel announces it. In a switchover
 * the old master keeps accepting writes until Sentinel demotes it, 8 s or more later: counts made
 * there are not seen by a gateway connected since, and are lost at the demotion.
 *
 * ioredis's own `failoverDetector` does this against its grain: it drops the connection on every
 * `+switch-master`, and each sentinel publishes one as it learns of the promotion, so a
 * connection already on the new master was dropped again (SentinelConnector/FailoverDetector.ts;
 * a second fallback in the failover drill). Here the connection is remade only when the announced
 * master is not the one it is on. Sentinels that cannot be reached are retried in the background;
 * the watchers close when `redis` ends.
 */
export function followSwitchMaster(
  redis: Redis,
  target: Extract<RedisTarget, { kind: 'sentinel' }>,
  logger: Logger,
): void {
  // The watchers connect and back off as the connection they serve does (redis.ts sets both).
  const { connectTimeout, retryStrategy } = redis.options;
  const watchers = target.sentinels.map(({ host, port }) => {
    const watcher = new Redis({
      host,
      port,
      password: target.sentinelPassword,
      connectTimeout,
      retryStrategy,
      // Off the request path: the subscription may wait for its sentinel, and is renewed on reconnect.
      maxRetriesPerRequest: null,
    });
    // A sentinel that cannot be reached is already reported by the connection itself.
    watcher.on('error', ignore);
    watcher.on('message', (channel: string, text: string) => {
      const [name, , , ip, newPort] = text.split(' ');
      if (channel !== SWITCH_MASTER || name !== target.master || redis.status !== 'ready') return;
      const announced = `${ip}:${newPort}`;
      const current = `${redis.stream.remoteAddress}:${redis.stream.remotePort}`;
      if (announced === current) return;
      logger.warn({ master: announced, previous: current }, 'redis sentinels switched master; reconnecting');
      redis.disconnect(true);
    });
    watcher.subscribe(SWITCH_MASTER).catch(ignore);
    return watcher;
  });
  redis.once('end', () => {
    for (const watcher of watchers) watcher.disconnect();
  });
}
