import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createRedisStore } from '../../../src/rate-limit/redis-store.js';
import { REDIS_URL, uniquePrefix } from '../../helpers/redis.js';

describe('Redis counter store (real Redis)', () => {
  let redis: Redis;

  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
  });

  after(() => {
    redis.disconnect();
  });

  it('when 50 hits on one key arrive at once, then Redis counts each exactly once (counts 1 to 50)', async () => {
    const store = createRedisStore(redis, 60_000);
    const key = `${uniquePrefix('store')}:burst`;
    const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit([key])));
    expect(hits.map(([hit]) => hit!.count).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    for (const [hit] of hits) expect(hit!.resetMs).to.be.within(59_000, 60_000);
    await redis.del(key);
  });

  it('when one client is counted 1000 times at a limit of 1000, then its key holds under 1 KB in Redis (MEMORY USAGE)', async () => {
    const store = createRedisStore(redis, 60_000);
    const prefix = uniquePrefix('memory');
    const keys = [`${prefix}:ip:203.0.113.7`, `${prefix}:route:/api/v1/auth/login:203.0.113.7`];
    for (let i = 0; i < 1000; i += 20) await Promise.all(Array.from({ length: 20 }, () => store.hit(keys)));
    const [last] = await store.hit(keys);
    expect(last!.count).to.equal(1001);
    let bytes = 0;
    for (const key of await redis.keys(`${prefix}:*`)) bytes += (await redis.memory('USAGE', key)) ?? 0;
    expect(bytes).to.be.above(0).and.below(1024);
    await redis.del(...keys);
  });

  it('when a key exists without an expiry, then the next hit gives it one (no counter lives forever)', async () => {
    const store = createRedisStore(redis, 5000);
    const key = `${uniquePrefix('store')}:orphan`;
    await redis.set(key, '7');
    const [hit] = await store.hit([key]);
    expect(hit).to.deep.equal({ count: 8, resetMs: 5000 });
    expect(await redis.pttl(key)).to.be.within(1, 5000);
    await redis.del(key);
  });
});
