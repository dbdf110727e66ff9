import Koa from 'koa';
import packageJson from '../package.json' with { type: 'json' };
import type { Logger } from 'pino';
import { createAnswerHeaders, type AnswerHeaders } from './answer-headers.js';
import type { Config } from './config/index.js';
import { Lifecycle } from './lifecycle.js';
import { VerifiedTokenCache } from './auth/token-cache.js';
import { createAuth, createKnownUser } from './middleware/auth.js';
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
import { createCounterStore } from './rate-limit/fallback-store.js';
import { createRedis, quitRedis } from './redis.js';
import { runSnapshotLayer } from './routing-snapshot.js';
import { RoutingSwitch } from './routing-switch.js';
import { createTracingLayer } from './tracing/server-span.js';
import { createTracing, type Tracing } from './tracing/tracing.js';
import type { GatewayMiddleware, GatewayState } from './state.js';
import { createAddressLookup } from './upstream/discovery.js';

/** Distinct valid tokens the auth layer remembers at once (a few MB at most). */
const CACHED_TOKENS = 10_000;

/** A built gateway: the Koa app, its lifecycle, and `close()` to release what it holds (sockets, Redis). */
export interface Gateway {
  readonly app: Koa<GatewayState>;
  /** Names of the onion's layers, outermost first: the order `app` runs them in. */
  readonly layers: readonly string[];
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
  /** The gateway file's routes, policies and upstreams in use, and the swap to the next file's (config-reload.ts). */
  readonly routing: RoutingSwitch;
  /** Resolves once every service's host names have been looked up for the first time. */
  ready(): Promise<void>;
  /**
   * Security and CORS headers of the gateway's own answers: the server writes them on the answers Node's parser
   * refuses.
   */
  readonly headers: AnswerHeaders;
  /** The gateway's tracer provider (or propagation only): its own, never a global one. */
  readonly tracing: Tracing;
  /** Releases sockets and Redis, and flushes the spans still queued (within the shutdown grace once draining). */
  close(): Promise<void>;
}

/**
 * Builds the onion from `config`, outermost layer first (DESIGN.md, "The onion"). Nothing runs at import; a configured
 * Redis starts
 * connecting in the background. `now` is the circuit breakers' clock: Date.now unless a test moves its own.
 */
export function createGateway(config: Config, options: { logger: Logger; now?: () => number }): Gateway {
  const { logger, now } = options;
  const lifecycle = new Lifecycle();
  const metrics = createMetrics();
  const target = config.rateLimit.redis;
  const redis =
    target !== undefined
      ? createRedis(target, { commandTimeoutMs: config.rateLimit.redisTimeoutMs, logger })
      : undefined;

  const store = createCounterStore({ windowMs: config.rateLimit.windowMs, redis, logger, metrics });
  const limits = {
    scope: config.apiScope,
    windowMs: config.rateLimit.windowMs,
    store,
    prefix: config.rateLimit.redisPrefix,
    metrics,
  };
  const verified = new VerifiedTokenCache(CACHED_TOKENS);
  // A token the auth layer has cached names its user before auth runs: the IP layer counts the user limit too.
  const ipLimits = {
    ...limits,
    user: { max: config.rateLimit.userMax, knownUser: createKnownUser({ scope: config.apiScope, verified }) },
  };
  const lookup = createAddressLookup(config.discovery.servers);
  // What comes from the gateway file is built into a snapshot that a reload replaces whole (routing-switch.ts).
  const routing = new RoutingSwitch(config, { config, logger, metrics, lifecycle, lookup, limits: ipLimits, now });
  const headers = createAnswerHeaders(config);
  const tracing = createTracing(config.tracing, {
    logger,
    metrics,
    version: packageJson.version,
    lifecycle,
    shutdownGraceMs: config.shutdownGraceMs,
  });

  // The order is the contract's (DESIGN.md, "The onion"); a test pins these names.
  const onion: ReadonlyArray<readonly [name: string, layer: GatewayMiddleware]> = [
    ['correlation', createCorrelation()],
    ['routing', routing.layer],
    ['tracing', createTracingLayer({ tracer: tracing.tracer })],
    ['logging', createLogging({ logger, metrics })],
    ['errors', createErrors({ logger, headers })],
    ['drain', createDrain({ lifecycle })],
    ['cors', createCors(headers.cors)],
    ['security', createSecurity(headers.security)],
    ['rate-limit-ip', runSnapshotLayer('rate-limit-ip')],
    ['request-guard', createRequestGuard()],
    ['auth', createAuth({ auth: config.auth, scope: config.apiScope, verified, logger, metrics })],
    ['rate-limit-user', createRateLimit({ ...limits, by: 'user', max: config.rateLimit.userMax, routes: [] })],
    ['route-policy', runSnapshotLayer('route-policy')],
    ['router', runSnapshotLayer('router')],
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
    routing,
    async ready() {
      await Promise.all([...routing.current.upstreams.values()].map((upstream) => upstream.ready()));
    },
    headers,
    tracing,
    async close() {
      routing.close();
      if (redis !== undefined) await quitRedis(redis);
      await tracing.shutdown();
    },
  };
}
