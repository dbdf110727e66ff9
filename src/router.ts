import Router from '@koa/router';
import type { Got } from 'got';
import type { Config } from './config/index.js';
import type { GatewayHealth } from './health/gateway.js';
import { prefixPattern } from './proxy/path.js';
import { createForwarder } from './proxy/forwarder.js';
import type { GatewayMiddleware, GatewayState } from './state.js';

/** Routes of the gateway: its own health endpoints, then one forwarder per entry of the route table. */
export function createRouter(options: {
  config: Config;
  client: Got;
  health: GatewayHealth;
  servicesHealth: GatewayMiddleware;
}): GatewayMiddleware {
  const { config, client, health, servicesHealth } = options;
  const router = new Router<GatewayState>();
  router.get('/health', health.health);
  router.get('/health/ready', health.ready);
  router.get('/health/services', servicesHealth);
  router.get('/info', health.info);
  for (const route of config.routes) {
    const forwarder = createForwarder({ route, client, trustProxy: config.trustProxy, maxBodyBytes: config.maxBodyBytes });
    router.all(prefixPattern(route.prefix), forwarder);
  }
  const dispatch = router.routes() as GatewayMiddleware;
  return function routes(ctx, next) {
    return dispatch(ctx, next);
  };
}
