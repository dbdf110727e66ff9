import { SECURITY_HEADERS } from '../security-headers.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * Security headers (helmet's, recorded once: see security-headers.ts) on gateway and proxied
 * responses alike. The forwarder keeps these over upstream headers of the same names.
 */
export function createSecurity(): GatewayMiddleware {
  return function security(ctx, next) {
    const { res } = ctx;
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    return next();
  };
}
