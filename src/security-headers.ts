import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { Header } from './cors-policy.js';

/** The values `Cross-Origin-Resource-Policy` takes. */
export type ResourcePolicy = 'same-origin' | 'same-site' | 'cross-origin';

/**
 * The security headers of every response, gateway-made or proxied, in helmet's order: helmet's
 * defaults with framing denied outright (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`)
 * and `resourcePolicy` as `Cross-Origin-Resource-Policy`. They depend on nothing a request says,
 * so helmet runs once, at start-up, against a recording response; the security layer and the
 * error writer copy this table.
 */
export function securityHeaders(resourcePolicy: ResourcePolicy): readonly Header[] {
  return recordHeaders({
    frameguard: { action: 'deny' },
    contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: resourcePolicy },
  });
}

/** The headers helmet sets with `options`, in its order. */
function recordHeaders(options: HelmetOptions): readonly Header[] {
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
    if (error !== undefined) throw new Error('helmet failed to set its headers', { cause: error });
  });
  return [...recorded];
}
