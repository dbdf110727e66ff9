import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Gateway } from './app.js';
import { TIMED_OUT, withTimeout } from './with-timeout.js';

/**
 * Drains `server`: readiness turns 503, the listener closes, idle keep-alive sockets close,
 * in-flight requests finish (their responses say `Connection: close`), then the gateway releases
 * its resources. Resolves with the exit code: 0 when everything finished within `graceMs`, else 1.
 * WebSocket tunnels have no end of their own: those still open are closed when the grace is over,
 * and when they were all that remained the shutdown went as planned (exit 0).
 */
export async function drainServer(options: {
  server: Server;
  gateway: Gateway;
  graceMs: number;
  logger: Logger;
}): Promise<number> {
  const { server, gateway, graceMs, logger } = options;
  gateway.lifecycle.drain();
  logger.info({ graceMs }, 'draining');
  const closed = new Promise<'drained'>((resolve) => server.close(() => resolve('drained')));
  server.closeIdleConnections();
  const outcome = (await withTimeout(closed, graceMs)) === TIMED_OUT ? 'expired' : 'drained';
  let onlyTunnels = false;
  if (outcome === 'expired') {
    const tunnels = gateway.lifecycle.openTunnels;
    onlyTunnels = tunnels > 0 && (await connectionCount(server)) === tunnels;
    if (onlyTunnels) logger.info({ graceMs, tunnels }, 'shutdown grace over; closing the WebSocket tunnels still open');
    else logger.error({ graceMs, tunnels }, 'shutdown grace expired with requests in flight; closing them');
    const tunnelsClosed = gateway.lifecycle.closeTunnels();
    server.closeAllConnections();
    // A destroyed socket reports its close on a later turn of the event loop: wait for it, so
    // each tunnel's request line is written before the process exits.
    await tunnelsClosed;
  }
  await gateway.close();
  logger.info({ outcome }, 'stopped');
  return outcome === 'drained' || onlyTunnels ? 0 : 1;
}

/** Client connections the server still holds, tunnels included. */
function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.getConnections((error, count) => resolve(error === null ? count : Number.NaN)),
  );
}
