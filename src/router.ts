import Router from '@koa/router';
import type { Got } from 'got';
import type { Config, RouteConfig } from './config/index.js';
import type { GatewayHealth } from './health/gateway.js';
import { prefixPattern } from './proxy/path.js';
import { createForwarder } from './proxy/forwarder.js';
import type { GatewayMiddleware, GatewayState } from './state.js';

/** Routes of the gateway: its own health endpoints, then one forwarder per entry of the route table. */
export function createRouter(options: {
  routes: readonly RouteConfig[];
  endpoints: Config['endpoints'];
  forwarding: { trustProxy: boolean; maxBodyBytes: number };
  client: Got;
  health: GatewayHealth;
  servicesHealth: GatewayMiddleware;
}): GatewayMiddleware {
  const { routes, endpoints, forwarding, client, health, servicesHealth } = options;
  const router = new Router<GatewayState>();
  router.get(endpoints.health, health.health);
  router.get(endpoints.ready, health.ready);
  router.get(endpoints.services, servicesHealth);
  router.get(endpoints.info, health.info);
  for (const route of routes) {
    router.all(prefixPattern(route.prefix), createForwarder({ route, client, ...forwarding }));
  }
  return router.routes() as GatewayMiddleware;
}
