import type { Logger } from 'pino';
import packageJson from '../package.json' with { type: 'json' };
import type { Config, ServiceConfig } from './config/index.js';
import { createGatewayHealth } from './health/gateway.js';
import { createServicesHealth } from './health/services.js';
import type { Lifecycle } from './lifecycle.js';
import { createRateLimit, type RateLimitOptions } from './middleware/rate-limit.js';
import { createRoutePolicy } from './middleware/route-policy.js';
import { createRouteLabel, type GatewayMetrics } from './metrics.js';
import { createRouter } from './router.js';
import type { GatewayMiddleware, RequestRouting } from './state.js';
import type { AddressLookup } from './upstream/discovery.js';
import { Upstream } from './upstream/upstream.js';

/** What one gateway file gives: its services and routes (env overrides applied), and which file it was. */
export type GatewayRouting = Pick<Config, 'services' | 'routes' | 'gatewayFile'>;

/**
 * Everything built from one gateway file, frozen. A request reads the current one once, as it
 * enters (`ctx.state.routing`), and runs on it to the end, so a reload never changes a request's
 * routes, policies or upstreams half-way.
 */
export interface RoutingSnapshot extends GatewayRouting, RequestRouting {
  /** When it was loaded, ms since the epoch (`/info`, `gateway_config_info`). */
  readonly loadedAt: number;
  /** One per service, by name. */
  readonly upstreams: ReadonlyMap<string, Upstream>;
}

/** What a snapshot is built with besides the file: the env's settings and the parts that outlive a reload. */
export interface SnapshotContext {
  /** Env settings only: services, routes and the file come from the {@link GatewayRouting}. */
  readonly config: Omit<Config, keyof GatewayRouting>;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly lifecycle: Lifecycle;
  readonly lookup: AddressLookup;
  /** The rate limiter's store and key prefix: shared by every snapshot, so counts survive a reload. */
  readonly limits: Omit<RateLimitOptions, 'by' | 'max' | 'routes'>;
  readonly now?: () => number;
}

/**
 * Builds the snapshot of `file`. An upstream of `previous` whose service entry is unchanged is
 * kept (its pools, instances, breaker and ejections with it, as Envoy keeps an unchanged cluster
 * across an update); every other service gets a new {@link Upstream}. Builds, never retires.
 */
export function buildRoutingSnapshot(
  file: GatewayRouting,
  context: SnapshotContext,
  previous?: RoutingSnapshot,
): RoutingSnapshot {
  const { config, logger, metrics, lifecycle, lookup, limits, now } = context;
  const upstreams = new Map(
    file.services.map((service) => {
      const kept = previous?.upstreams.get(service.name);
      const unchanged =
        kept !== undefined &&
        sameService(
          previous!.services.find((old) => old.name === service.name),
          service,
        );
      return [
        service.name,
        unchanged
          ? kept
          : new Upstream({
              service,
              lookup,
              refreshMs: config.discovery.refreshMs,
              circuit: config.circuit,
              logger,
              metrics,
              now,
            }),
      ];
    }),
  );
  const loadedAt = Date.now();
  const router = createRouter({
    routes: file.routes,
    endpoints: config.endpoints,
    upstreams,
    forwarding: { trustProxy: config.trustProxy, maxBodyBytes: config.maxBodyBytes },
    health: createGatewayHealth({ ...file, loadedAt, lifecycle, version: packageJson.version }),
    servicesHealth: createServicesHealth({ upstreams }),
    tunnels: { idleTimeoutMs: config.websocketIdleTimeoutMs, lifecycle, metrics },
  });
  return Object.freeze({
    services: file.services,
    routes: file.routes,
    gatewayFile: file.gatewayFile,
    loadedAt,
    upstreams,
    publicPaths: file.routes.flatMap((route) => route.publicPaths),
    layers: Object.freeze({
      'rate-limit-ip': createRateLimit({
        ...limits,
        by: 'ip',
        max: config.rateLimit.max,
        routes: file.routes.flatMap((route) => route.limits),
      }),
      'route-policy': createRoutePolicy({ routes: file.routes, logger }),
      router,
    }),
    routeLabel: createRouteLabel(file.routes, config.endpoints),
  });
}

/** The onion's entry for a layer built from the gateway file: runs the one of the request's snapshot. */
export function runSnapshotLayer(name: keyof RequestRouting['layers']): GatewayMiddleware {
  return async (ctx, next) => {
    await ctx.state.routing.layers[name](ctx, next);
  };
}

/**
 * Same entry, same settings: the values are plain data (strings, numbers, lists), so their JSON is a faithful
 * comparison.
 */
function sameService(a: ServiceConfig | undefined, b: ServiceConfig): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
