import Router from '@koa/router';
import type { Config, RouteConfig } from './config/index.js';
import type { GatewayHealth } from './health/gateway.js';
import { prefixPattern } from './proxy/path.js';
import { createForwarder } from './proxy/forwarder.js';
import { createTunnel, type TunnelOptions } from './proxy/websocket.js';
import type { GatewayMiddleware, GatewayState } from './state.js';
import { upgradeOf } from './upgrade.js';
import type { Upstream } from './upstream/upstream.js';

/**
 * Routes of the gateway: its own health endpoints, then one forwarder per entry of the route
 * table; a WebSocket handshake on a route goes to that route's tunnel instead.
 */
export function createRouter(options: {
  routes: readonly RouteConfig[];
  endpoints: Config['endpoints'];
  /** One per service, by name. */
  upstreams: ReadonlyMap<string, Upstream>;
  forwarding: { trustProxy: boolean; maxBodyBytes: number };
  health: GatewayHealth;
  servicesHealth: GatewayMiddleware;
  tunnels: Omit<TunnelOptions, 'route' | 'trustProxy' | 'upstream'>;
}): GatewayMiddleware {
  const { routes, endpoints, upstreams, forwarding, health, servicesHealth, tunnels } = options;
  const router = new Router<GatewayState>();
  router.get(endpoints.health, health.health);
  router.get(endpoints.ready, health.ready);
  router.get(endpoints.services, servicesHealth);
  router.get(endpoints.info, health.info);
  for (const route of routes) {
    const upstream = upstreams.get(route.service.name);
    if (upstream === undefined) throw new Error(`route ${route.prefix}: no upstream for service ${route.service.name}`);
    const forwarder = createForwarder({ route, upstream, ...forwarding });
    const tunnel = createTunnel({ route, upstream, trustProxy: forwarding.trustProxy, ...tunnels });
    router.all(prefixPattern(route.prefix), async (ctx, next) => {
      const upgrade = upgradeOf(ctx.req);
      if (upgrade?.kind === 'websocket') await tunnel(ctx, upgrade.head);
      else await forwarder(ctx, next);
    });
  }
  return router.routes() as GatewayMiddleware;
}
