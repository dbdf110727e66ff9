import Koa from 'koa';
import type { Logger } from 'pino';
import packageJson from '../package.json' with { type: 'json' };
import type { Config } from './config/index.js';
import { createGatewayHealth } from './health/gateway.js';
import { createServicesHealth } from './health/services.js';
import { Lifecycle } from './lifecycle.js';
import { createAuth } from './middleware/auth.js';
import { createCorrelation } from './middleware/correlation.js';
import { createCors } from './middleware/cors.js';
import { createDrain } from './middleware/drain.js';
import { createErrors } from './middleware/errors.js';
import { createLogging } from './middleware/logging.js';
import { createNotFound } from './middleware/not-found.js';
import { createRequestGuard } from './middleware/request-guard.js';
import { createRateLimit } from './middleware/rate-limit.js';
import { createSecurity } from './middleware/security.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { createUpstreamClient } from './proxy/client.js';
import { createRedis, quitRedis } from './redis.js';
import { createRouter } from './router.js';
import type { GatewayMiddleware, GatewayState } from './state.js';

/** A built gateway: the Koa app, its lifecycle, and `close()` to release what it holds (sockets, Redis). */
export interface Gateway {
  readonly app: Koa<GatewayState>;
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
  close(): Promise<void>;
}

/** Builds the onion from `config`, outermost layer first (DESIGN.md, "The onion"). Nothing runs at import; a configured Redis starts connecting in the background. */
export function createGateway(config: Config, options: { logger: Logger }): Gateway {
  const { logger } = options;
  const lifecycle = new Lifecycle();
  const metrics = createMetrics(config);
  const upstream = createUpstreamClient();
  const { redisUrl } = config.rateLimit;
  const redis = redisUrl !== undefined ? createRedis(redisUrl, { commandTimeoutMs: config.rateLimit.redisTimeoutMs, logger }) : undefined;

  const onion: GatewayMiddleware[] = [
    createCorrelation(),
    createLogging({ logger, metrics }),
    createErrors({ logger, metrics }),
    createDrain({ lifecycle }),
    createCors(config.cors),
    createSecurity(),
    createRateLimit({ ...config.rateLimit, redis, prefix: config.rateLimit.redisPrefix, logger, metrics }),
    createRequestGuard(),
    createAuth({ auth: config.auth, logger }),
    createRouter({
      config,
      client: upstream.client,
      health: createGatewayHealth({ config, lifecycle, version: packageJson.version }),
      servicesHealth: createServicesHealth({ services: config.services }),
      lifecycle,
      metrics,
    }),
    createNotFound(),
  ];

  // Behind one trusted proxy, the client is the last X-Forwarded-For entry: the one that proxy added.
  const app = new Koa<GatewayState>({ proxy: config.trustProxy, maxIpsCount: config.trustProxy ? 1 : 0 });
  for (const layer of onion) app.use(layer);

  return {
    app,
    lifecycle,
    metrics,
    async close() {
      upstream.close();
      if (redis !== undefined) await quitRedis(redis);
    },
  };
}
