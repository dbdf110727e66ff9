import { expect } from 'chai';
import { createRedis, redisOptions } from '../../src/redis.js';
import { createMemoryLogger } from '../helpers/logger.js';
import { closedPort } from '../helpers/upstream.js';

const SENTINEL = {
  kind: 'sentinel',
  sentinels: [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26380 },
  ],
  master: 'limits',
  password: 'm',
  sentinelPassword: 's',
} as const;

describe('Redis connection options', () => {
  for (const target of [{ kind: 'url', url: 'redis://cache:6379' } as const, SENTINEL]) {
    it(`when the target is ${target.kind === 'url' ? 'a URL' : 'a Sentinel group'}, then no command waits: no offline queue, no retries, a command timeout, a bounded reconnect`, () => {
      const options = redisOptions(target, 250);
      expect(options).to.include({ enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250 });
      const delays = [1, 5, 100, 10_000].map((attempt) => options.retryStrategy!(attempt));
      expect(delays).to.deep.equal([100, 500, 2000, 2000]);
    });
  }

  it('when the target is a Sentinel group, then ioredis gets the sentinels, the master name and both passwords, without its failover detector', () => {
    const options = redisOptions(SENTINEL, 250);
    expect(options.sentinels).to.deep.equal([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ]);
    expect(options).to.include({ name: 'limits', password: 'm', sentinelPassword: 's', sentinelCommandTimeout: 1000 });
    expect(options.failoverDetector).not.to.equal(true);
    expect(options.sentinelRetryStrategy!(100)).to.equal(2000);
  });

  it('when a command fails with READONLY (the master was demoted), then the connection is remade; any other error keeps it', () => {
    const { reconnectOnError } = redisOptions(SENTINEL, 250);
    expect(reconnectOnError!(new Error("READONLY You can't write against a read only replica."))).to.equal(true);
    expect(reconnectOnError!(new Error('NOSCRIPT No matching script'))).to.equal(false);
  });

  for (const url of ['rediss://cache:6380', 'REDISS://cache:6380']) {
    it(`when the URL is ${url}, then the connection uses TLS`, () => {
      expect(redisOptions({ kind: 'url', url }, 250).tls).to.deep.equal({});
    });
  }

  it('when the URL is redis://, then the connection is plain TCP', () => {
    expect(redisOptions({ kind: 'url', url: 'redis://cache:6379' }, 250)).not.to.have.property('tls');
  });

  it('when createRedis gets a rediss:// URL, then the client it builds connects with TLS to that host and port', async () => {
    const port = await closedPort();
    const redis = createRedis(
      { kind: 'url', url: `rediss://:pw@127.0.0.1:${port}/2` },
      { commandTimeoutMs: 250, logger: createMemoryLogger().logger },
    );
    try {
      expect(redis.options).to.deep.include({
        host: '127.0.0.1',
        port,
        password: 'pw',
        db: 2,
        tls: {},
        enableOfflineQueue: false,
      });
    } finally {
      redis.disconnect();
    }
  });
});
