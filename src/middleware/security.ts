import helmet from 'koa-helmet';
import type { GatewayMiddleware } from '../state.js';

/**
 * Security headers on gateway and proxied responses alike: helmet's defaults with framing denied
 * outright (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`). The forwarder keeps these over
 * upstream headers of the same names.
 */
export function createSecurity(): GatewayMiddleware {
  const headers = helmet({
    frameguard: { action: 'deny' },
    contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
  }) as GatewayMiddleware;
  return function security(ctx, next) {
    return headers(ctx, next);
  };
}
