import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { GatewayMiddleware } from '../state.js';

/** nginx's code for "client closed the connection before the response was complete". */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * Writes one JSON line per request once its response is complete or abandoned.
 * Only the path is logged: query strings and headers may carry tokens.
 */
export function createLogging(options: { logger: Logger }): GatewayMiddleware {
  const { logger } = options;
  return async function logging(ctx, next) {
    const started = performance.now();
    const { socket } = ctx.req;
    const bytesBefore = socket.bytesWritten;
    ctx.res.once('close', () => {
      const completed = ctx.res.writableFinished;
      logger.info({
        correlationId: ctx.state.correlationId,
        method: ctx.method,
        path: ctx.path,
        status: completed ? ctx.res.statusCode : CLIENT_CLOSED_REQUEST,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        service: ctx.state.upstream?.service,
        upstreamStatus: ctx.state.upstream?.status,
        bytes: socket.bytesWritten - bytesBefore,
      }, 'request completed');
    });
    await next();
  };
}
