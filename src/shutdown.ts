import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Gateway } from './app.js';
import { TIMED_OUT, withTimeout } from './with-timeout.js';

/**
 * Drains `server`: readiness turns 503, the listener closes, idle keep-alive sockets close,
 * in-flight requests finish (their responses say `Connection: close`), then the gateway releases
 * its resources. Resolves with the exit code: 0 when everything finished within `graceMs`, else 1.
 */
export async function drainServer(options: { server: Server; gateway: Gateway; graceMs: number; logger: Logger }): Promise<number> {
  const { server, gateway, graceMs, logger } = options;
  gateway.lifecycle.drain();
  logger.info({ graceMs }, 'draining');
  const closed = new Promise<'drained'>((resolve) => server.close(() => resolve('drained')));
  server.closeIdleConnections();
  const outcome = (await withTimeout(closed, graceMs)) === TIMED_OUT ? 'expired' : 'drained';
  if (outcome === 'expired') {
    logger.error({ graceMs }, 'shutdown grace expired with requests in flight; closing them');
    server.closeAllConnections();
  }
  await gateway.close();
  logger.info({ outcome }, 'stopped');
  return outcome === 'drained' ? 0 : 1;
}
