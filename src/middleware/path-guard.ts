import { GatewayError } from '../errors.js';
import { isSafeTarget } from '../proxy/path.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * Refuses request targets whose path could reach something other than what it names
 * (dot segments, encoded slashes; see proxy/path.ts) before any route or auth decision is made,
 * and HTTP/1.1 requests without a Host.
 */
export function createPathGuard(): GatewayMiddleware {
  return async function pathGuard(ctx, next) {
    if (!isSafeTarget(ctx.url)) throw new GatewayError(400, 'BAD_REQUEST', 'Malformed request path');
    // RFC 9112 §3.2: an HTTP/1.1 request must name its Host (see server.ts).
    if (ctx.req.headers.host === undefined && ctx.req.httpVersion === '1.1') throw new GatewayError(400, 'BAD_REQUEST', 'Missing Host header');
    await next();
  };
}
