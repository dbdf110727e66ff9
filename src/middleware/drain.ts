import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * While draining, a request that arrives on a kept-alive connection is refused with 503, and a
 * request already in flight answers with `Connection: close`, so no client reuses a closing socket.
 * The first request of a connection accepted before the listener closed is served (with
 * `Connection: close`): its client had no other connection to send it on.
 */
export function createDrain(options: { lifecycle: Lifecycle }): GatewayMiddleware {
  const { lifecycle } = options;
  /** Connections that have carried a request: a later request on one of them is a kept-alive one. */
  const served = new WeakSet<Socket>();
  return async function drain(ctx, next) {
    const socket = ctx.req.socket;
    if (lifecycle.draining && served.has(socket)) {
      throw new GatewayError(503, 'SHUTTING_DOWN', 'Gateway is shutting down', { headers: { Connection: 'close' } });
    }
    served.add(socket);
    await next();
    if (lifecycle.draining && !ctx.headerSent) ctx.set('Connection', 'close');
  };
}
