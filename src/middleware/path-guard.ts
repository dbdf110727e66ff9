import { GatewayError } from '../errors.js';
import { isSafeTarget } from '../proxy/path.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * Refuses request targets whose path could reach something other than what it names
 * (dot segments, encoded slashes; see proxy/path.ts) before any route or auth decision is made.
 */
export function createPathGuard(): GatewayMiddleware {
  return async function pathGuard(ctx, next) {
    if (!isSafeTarget(ctx.url)) throw new GatewayError(400, 'BAD_REQUEST', 'Malformed request path');
    await next();
  };
}
