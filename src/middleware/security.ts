import type { Header } from '../cors-policy.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * Security headers (helmet's, recorded once at start-up: see security-headers.ts) on gateway and
 * proxied responses alike. The forwarder keeps these over upstream headers of the same names, but
 * for `Cross-Origin-Resource-Policy`: a service's own value is kept (proxy/headers.ts).
 */
export function createSecurity(headers: readonly Header[]): GatewayMiddleware {
  return function security(ctx, next) {
    const { res } = ctx;
    for (const [name, value] of headers) res.setHeader(name, value);
    return next();
  };
}
