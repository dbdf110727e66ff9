import { GatewayError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * While draining, a request that arrives on a kept-alive connection is refused with 503, and a
 * request already in flight answers with `Connection: close`, so no client reuses a closing socket.
 */
export function createDrain(options: { lifecycle: Lifecycle }): GatewayMiddleware {
  const { lifecycle } = options;
  return async function drain(ctx, next) {
    if (lifecycle.draining) {
      throw new GatewayError(503, 'SHUTTING_DOWN', 'Gateway is shutting down', { headers: { Connection: 'close' } });
    }
    await next();
    if (lifecycle.draining && !ctx.headerSent) ctx.set('Connection', 'close');
  };
}
