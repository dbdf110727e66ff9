import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** helmet's defaults with framing denied outright (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`). */
const HELMET_OPTIONS: HelmetOptions = {
  frameguard: { action: 'deny' },
  contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
};

/**
 * The security headers of every response, gateway-made or proxied, in helmet's order. They depend on
 * nothing a request or the configuration says, so helmet runs once, here, against a recording
 * response; the security layer and the error writer copy this table.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [name: string, value: string]> = recordHeaders(HELMET_OPTIONS);

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
