import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { GatewayMiddleware } from '../state.js';

/** helmet's defaults with framing denied outright (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`). */
const HELMET_OPTIONS: HelmetOptions = {
  frameguard: { action: 'deny' },
  contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
};

/**
 * Security headers on gateway and proxied responses alike. The headers depend on configuration
 * only, so helmet runs once at start-up against a recording response and each request just copies
 * them. The forwarder keeps these over upstream headers of the same names.
 */
export function createSecurity(): GatewayMiddleware {
  const headers = recordHeaders(HELMET_OPTIONS);
  return function security(ctx, next) {
    const { res } = ctx;
    for (const [name, value] of headers) res.setHeader(name, value);
    return next();
  };
}

/** The headers helmet sets with `options`, in its order. */
function recordHeaders(options: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const recorded = new Map<string, string>();
  const response = {
    setHeader(name: string, value: unknown) {
      recorded.set(name, String(value));
      return response;
    },
    removeHeader(name: string) {
      recorded.delete(name);
    },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error;
  });
  return [...recorded];
}
