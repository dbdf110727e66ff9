import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { loadConfig } from '../../../src/config/index.js';
import { createMetrics } from '../../../src/metrics.js';
import { createRateLimit } from '../../../src/middleware/rate-limit.js';
import type { GatewayContext, GatewayState } from '../../../src/state.js';
import { createMemoryLogger } from '../../helpers/logger.js';
import { REDIS_URL, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait.js';

describe('rate limit layer', () => {
  let redis: Redis;

  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
  });

  after(() => {
    redis.disconnect();
  });

  it('regression: when the client socket is already gone (no address), then the request is not limited and Redis is not blamed', async () => {
    const { logger, lines } = createMemoryLogger();
    const layer = createRateLimit({
      windowMs: 60_000,
      max: 5,
      redis,
      prefix: uniquePrefix('gone'),
      logger,
      metrics: createMetrics(loadConfig({})),
    });
    await waitFor(() => redis.status === 'ready');
    const request = new IncomingMessage(new Socket());
    request.url = '/api/v1/products/1';
    request.method = 'GET';
    const ctx = new Koa<GatewayState>().createContext(request, new ServerResponse(request)) as GatewayContext;
    expect(ctx.ip).to.equal('');
    let reached = false;
    await layer(ctx, async () => {
      reached = true;
    });
    expect(reached).to.equal(true);
    expect(lines.filter((line) => String(line.msg).includes('falling back'))).to.deep.equal([]);
  });
});
