import type { RouteConfig, ServiceConfig } from '../config/index.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMiddleware } from '../state.js';

const SERVICE_NAME = 'api-gateway';

/** Handlers of the gateway's own endpoints: liveness, readiness and `/info`. */
export interface GatewayHealth {
  readonly health: GatewayMiddleware;
  readonly ready: GatewayMiddleware;
  readonly info: GatewayMiddleware;
}

/** Builds the liveness, readiness and info handlers. `/info` names services, never their URLs. */
export function createGatewayHealth(options: {
  services: readonly ServiceConfig[];
  routes: readonly RouteConfig[];
  lifecycle: Lifecycle;
  version: string;
}): GatewayHealth {
  const { services, routes, lifecycle, version } = options;
  const info = Object.freeze({
    name: SERVICE_NAME,
    version,
    services: services.map((service) => service.name),
    routes: routes.map((route) => ({ prefix: route.prefix, service: route.service.name })),
  });
  return {
    health(ctx) {
      ctx.body = { status: 'ok', service: SERVICE_NAME, timestamp: new Date().toISOString() };
    },
    ready(ctx) {
      const draining = lifecycle.draining;
      ctx.status = draining ? 503 : 200;
      ctx.body = { status: draining ? 'draining' : 'ready', service: SERVICE_NAME, timestamp: new Date().toISOString() };
    },
    info(ctx) {
      ctx.body = info;
    },
  };
}
