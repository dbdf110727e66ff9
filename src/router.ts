import Router from '@koa/router';
import type { Got } from 'got';
import type { Config } from './config/index.js';
import type { GatewayHealth } from './health/gateway.js';
import { prefixPattern } from './proxy/path.js';
import { createForwarder } from './proxy/forwarder.js';
import { createTunnel } from './proxy/websocket.js';
import type { Lifecycle } from './lifecycle.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayMiddleware, GatewayState } from './state.js';
import { upgradeOf } from './upgrade.js';

/**
 * Routes of the gateway: its own health endpoints, then one forwarder per entry of the route
 * table; a WebSocket handshake on a route goes to that route's tunnel instead.
 */
export function createRouter(options: {
  config: Config;
  client: Got;
  health: GatewayHealth;
  servicesHealth: GatewayMiddleware;
  lifecycle: Lifecycle;
  metrics: GatewayMetrics;
}): GatewayMiddleware {
  const { config, client, health, servicesHealth, lifecycle, metrics } = options;
  const router = new Router<GatewayState>();
  router.get('/health', health.health);
  router.get('/health/ready', health.ready);
  router.get('/health/services', servicesHealth);
  router.get('/info', health.info);
  for (const route of config.routes) {
    const forwarder = createForwarder({ route, client, trustProxy: config.trustProxy, maxBodyBytes: config.maxBodyBytes });
    const tunnel = createTunnel({ route, trustProxy: config.trustProxy, idleTimeoutMs: config.websocketIdleTimeoutMs, lifecycle, metrics });
    router.all(prefixPattern(route.prefix), (ctx, next) => {
      const upgrade = upgradeOf(ctx.req);
      return upgrade?.kind === 'websocket' ? tunnel(ctx, upgrade.head) : forwarder(ctx, next);
    });
  }
  const dispatch = router.routes() as GatewayMiddleware;
  return function routes(ctx, next) {
    return dispatch(ctx, next);
  };
}
