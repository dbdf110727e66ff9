import { GatewayError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMiddleware } from '../state.js';
import { upgradeOf } from '../upgrade.js';

/**
 * While draining, a request that arrives on a kept-alive connection is refused with 503, and a
 * request already in flight answers with `Connection: close`, so no client reuses a closing socket.
 * The first request of a connection accepted before the listener closed is served (with
 * `Connection: close`): its client had no other connection to send it on. A WebSocket handshake
 * is always refused while draining: its tunnel would outlive the shutdown.
 */
export function createDrain(options: { lifecycle: Lifecycle }): GatewayMiddleware {
  const { lifecycle } = options;
  return async function drain(ctx, next) {
    // A connection that carried a request before: this one is a kept-alive request.
    const keptAlive = lifecycle.hasServed(ctx.req.socket);
    lifecycle.markServed(ctx.req.socket);
    if (lifecycle.draining && (keptAlive || upgradeOf(ctx.req)?.kind === 'websocket')) {
      throw new GatewayError(503, 'SHUTTING_DOWN', 'Gateway is shutting down', { headers: { Connection: 'close' } });
    }
    await next();
    if (lifecycle.draining && !ctx.headerSent) ctx.set('Connection', 'close');
  };
}
