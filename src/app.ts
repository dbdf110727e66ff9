import Koa from 'koa';
import type { Logger } from 'pino';
import packageJson from '../package.json' with { type: 'json' };
import { createAnswerHeaders, type AnswerHeaders } from './answer-headers.js';
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
import { createRoutePolicy } from './middleware/route-policy.js';
import { createSecurity } from './middleware/security.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { createCounterStore } from './rate-limit/fallback-store.js';
import { createRedis, quitRedis } from './redis.js';
import { createRouter } from './router.js';
import type { GatewayMiddleware, GatewayState } from './state.js';
import { createAddressLookup } from './upstream/discovery.js';
import { Upstream } from './upstream/upstream.js';

/** A built gateway: the Koa app, its lifecycle, and `close()` to release what it holds (sockets, Redis). */
export interface Gateway {
  readonly app: Koa<GatewayState>;
  /** Names of the onion's layers, outermost first: the order `app` runs them in. */
  readonly layers: readonly string[];
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
  /** One per service, by name. */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** Resolves once every service's host names have been looked up for the first time. */
  ready(): Promise<void>;
  /** Security and CORS headers of the gateway's own answers: the server writes them on the answers Node's parser refuses. */
  readonly headers: AnswerHeaders;
  close(): Promise<void>;
}

/**
 * Builds the onion from `config`, outermost layer first (DESIGN.md, "The onion"). Nothing runs at import; a configured Redis starts
 * connecting in the background. `now` is the circuit breakers' clock: Date.now unless a test moves its own.
 */
export function createGateway(config: Config, options: { logger: Logger; now?: () => number }): Gateway {
  const { logger, now } = options;
  const lifecycle = new Lifecycle();
  const metrics = createMetrics({ routes: config.routes, endpoints: config.endpoints });
  const target = config.rateLimit.redis;
  const redis = target !== undefined ? createRedis(target, { commandTimeoutMs: config.rateLimit.redisTimeoutMs, logger }) : undefined;

  const store = createCounterStore({ windowMs: config.rateLimit.windowMs, redis, logger, metrics });
  const limits = { scope: config.apiScope, windowMs: config.rateLimit.windowMs, store, prefix: config.rateLimit.redisPrefix, metrics };
  const lookup = createAddressLookup(config.discovery.servers);
  const upstreams: ReadonlyMap<string, Upstream> = new Map(config.services.map((service) => [
    service.name,
    new Upstream({ service, lookup, refreshMs: config.discovery.refreshMs, circuit: config.circuit, logger, metrics, now }),
  ]));
  const headers = createAnswerHeaders(config);

  // The order is the contract's (DESIGN.md, "The onion"); a test pins these names.
  const onion: ReadonlyArray<readonly [name: string, layer: GatewayMiddleware]> = [
    ['correlation', createCorrelation()],
    ['logging', createLogging({ logger, metrics })],
    ['errors', createErrors({ logger, headers })],
    ['drain', createDrain({ lifecycle })],
    ['cors', createCors(headers.cors)],
    ['security', createSecurity(headers.security)],
    ['rate-limit-ip', createRateLimit({ ...limits, by: 'ip', max: config.rateLimit.max, routes: config.routes.flatMap((route) => route.limits) })],
    ['request-guard', createRequestGuard()],
    ['auth', createAuth({ auth: config.auth, routes: config.routes, scope: config.apiScope, logger, metrics })],
    ['rate-limit-user', createRateLimit({ ...limits, by: 'user', max: config.rateLimit.userMax, routes: [] })],
    ['route-policy', createRoutePolicy({ routes: config.routes, logger })],
    ['router', createRouter({
      routes: config.routes,
      endpoints: config.endpoints,
      upstreams,
      forwarding: { trustProxy: config.trustProxy, maxBodyBytes: config.maxBodyBytes },
      health: createGatewayHealth({ services: config.services, routes: config.routes, lifecycle, version: packageJson.version }),
      servicesHealth: createServicesHealth({ upstreams }),
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
    upstreams,
    async ready() {
      await Promise.all([...upstreams.values()].map((upstream) => upstream.ready()));
    },
    headers,
    async close() {
      for (const upstream of upstreams.values()) upstream.close();
      if (redis !== undefined) await quitRedis(redis);
    },
  };
}
