import type { Config, RouteConfig, ServiceConfig } from '../config/index.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMiddleware } from '../state.js';

const SERVICE_NAME = 'api-gateway';

/** Handlers of the gateway's own endpoints: liveness, readiness and `/info`. */
export interface GatewayHealth {
  readonly health: GatewayMiddleware;
  readonly ready: GatewayMiddleware;
  readonly info: GatewayMiddleware;
}

/**
 * Builds the liveness, readiness and info handlers. `/info` names services, never their URLs, and
 * says which gateway file is in use: its SHA-256 and when it was loaded.
 */
export function createGatewayHealth(options: {
  services: readonly ServiceConfig[];
  routes: readonly RouteConfig[];
  gatewayFile: Config['gatewayFile'];
  /** ms since the epoch. */
  loadedAt: number;
  lifecycle: Lifecycle;
  version: string;
}): GatewayHealth {
  const { services, routes, gatewayFile, loadedAt, lifecycle, version } = options;
  const info = Object.freeze({
    name: SERVICE_NAME,
    version,
    services: services.map((service) => service.name),
    routes: routes.map((route) => ({ prefix: route.prefix, service: route.service.name })),
    gatewayFile: { sha256: gatewayFile.sha256, loadedAt: new Date(loadedAt).toISOString() },
  });
  return {
    health(ctx) {
      ctx.body = { status: 'ok', service: SERVICE_NAME, timestamp: new Date().toISOString() };
    },
    ready(ctx) {
      const draining = lifecycle.draining;
      ctx.status = draining ? 503 : 200;
      ctx.body = {
        status: draining ? 'draining' : 'ready',
        service: SERVICE_NAME,
        timestamp: new Date().toISOString(),
      };
    },
    info(ctx) {
      ctx.body = info;
    },
  };
}
