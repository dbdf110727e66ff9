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
import { createUpstreamOutcomes } from './proxy/outcomes.js';
import { createCounterStore } from './rate-limit/fallback-store.js';
import { createRedis, quitRedis } from './redis.js';
import { createRouteLabel } from './route-label.js';
import { createRouter } from './router.js';
import { createTracingLayer } from './tracing/server-span.js';
import { createTracing, type Tracing } from './tracing/tracing.js';
import type { GatewayMiddleware, GatewayState } from './state.js';

/** A built gateway: the Koa app, its lifecycle, and `close()` to release what it holds (sockets, Redis). */
export interface Gateway {
  readonly app: Koa<GatewayState>;
  /** Names of the onion's layers, outermost first: the order `app` runs them in. */
  readonly layers: readonly string[];
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
  /** The gateway's tracer provider (or propagation only): its own, never a global one. */
  readonly tracing: Tracing;
  /** Releases sockets and Redis, and flushes the spans still queued (within the shutdown grace once draining). */
  close(): Promise<void>;
}

/** Builds the onion from `config`, outermost layer first (DESIGN.md, "The onion"). Nothing runs at import; a configured Redis starts connecting in the background. */
export function createGateway(config: Config, options: { logger: Logger }): Gateway {
  const { logger } = options;
  const lifecycle = new Lifecycle();
  const metrics = createMetrics({ routes: config.routes, endpoints: config.endpoints });
  const upstream = createUpstreamClient();
  const target = config.rateLimit.redis;
  const redis = target !== undefined ? createRedis(target, { commandTimeoutMs: config.rateLimit.redisTimeoutMs, logger }) : undefined;

  const store = createCounterStore({ windowMs: config.rateLimit.windowMs, redis, logger, metrics });
  const limits = { scope: config.apiScope, windowMs: config.rateLimit.windowMs, store, prefix: config.rateLimit.redisPrefix, metrics };
  const tracing = createTracing(config.tracing, { logger, metrics, version: packageJson.version, lifecycle, shutdownGraceMs: config.shutdownGraceMs });
  const outcomes = createUpstreamOutcomes({ logger, metrics, services: config.services.map((service) => service.name), circuit: config.circuit });

  // The order is the contract's (DESIGN.md, "The onion"); a test pins these names.
  const onion: ReadonlyArray<readonly [name: string, layer: GatewayMiddleware]> = [
    ['correlation', createCorrelation()],
    ['tracing', createTracingLayer({ tracer: tracing.tracer, routeOf: createRouteLabel(config.routes, config.endpoints) })],
    ['logging', createLogging({ logger, metrics })],
    ['errors', createErrors({ logger })],
    ['drain', createDrain({ lifecycle })],
    ['cors', createCors(config.cors)],
    ['security', createSecurity()],
    ['rate-limit-ip', createRateLimit({ ...limits, by: 'ip', max: config.rateLimit.max, routes: config.rateLimit.routes })],
    ['request-guard', createRequestGuard()],
    ['auth', createAuth({ auth: config.auth, scope: config.apiScope, logger })],
    ['rate-limit-user', createRateLimit({ ...limits, by: 'user', max: config.rateLimit.userMax, routes: [] })],
    ['router', createRouter({
      routes: config.routes,
      endpoints: config.endpoints,
      forwarding: { trustProxy: config.trustProxy, maxBodyBytes: config.maxBodyBytes, outcomes },
      client: upstream.client,
      health: createGatewayHealth({ services: config.services, routes: config.routes, lifecycle, version: packageJson.version }),
      servicesHealth: createServicesHealth({ services: config.services, circuitState: outcomes.circuitState }),
      tunnels: { idleTimeoutMs: config.websocketIdleTimeoutMs, lifecycle, metrics },
    })],
    ['not-found', createNotFound()],
  ];

  // Behind one trusted proxy, the client is the last X-Forwarded-For entry: the one that proxy added.
  const app = new Koa<GatewayState>({ proxy: config.trustProxy, maxIpsCount: config.trustProxy ? 1 : 0 });
  for (const [, layer] of onion) app.use(layer);

  return {
    app,
    layers: onion.map(([name]) => name),
    lifecycle,
    metrics,
    tracing,
    async close() {
      upstream.close();
      if (redis !== undefined) await quitRedis(redis);
      await tracing.shutdown();
    },
  };
}
