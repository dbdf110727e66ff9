import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayMiddleware } from '../state.js';
import { upgradeOf } from '../upgrade.js';

/** nginx's code for "client closed the connection before the response was complete". */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * Writes one JSON line per request once its response is complete or abandoned, and counts it in
 * the request metrics. Only the path is logged: query strings and headers may carry tokens.
 * An answer of the gateway's own says why (`errorCode`, `reason`), and a WebSocket handshake says
 * it is one: a browser shows scripts neither the status nor the body of a refused handshake, so
 * this line is where its reason is found.
 */
export function createLogging(options: { logger: Logger; metrics: GatewayMetrics }): GatewayMiddleware {
  const { logger, metrics } = options;
  return async function logging(ctx, next) {
    const started = performance.now();
    const { socket } = ctx.req;
    const bytesBefore = socket.bytesWritten;
    ctx.res.once('close', () => {
      const { upstream, refusal } = ctx.state;
      // A response cut short is the client leaving, unless the forwarder says its service cut it.
      // A tunnel (101) never ends its response: it is complete when its connection closes.
      const status = ctx.res.writableFinished || ctx.res.statusCode === 101 ? ctx.res.statusCode : upstream?.cutStatus ?? CLIENT_CLOSED_REQUEST;
      const durationMs = performance.now() - started;
      metrics.observeRequest(ctx.state.routing.routeLabel(ctx.path), ctx.method, status, durationMs / 1000);
      logger.info({
        correlationId: ctx.state.correlationId,
        method: ctx.method,
        path: ctx.path,
        status,
        durationMs: Math.round(durationMs * 10) / 10,
        service: upstream?.service,
        instance: upstream?.instance,
        upstreamStatus: upstream?.status,
        upstreamError: upstream?.error,
        errorCode: refusal?.code,
        reason: refusal?.message,
        websocket: upgradeOf(ctx.req)?.kind === 'websocket' ? true : undefined,
        bytes: socket.bytesWritten - bytesBefore,
      }, 'request completed');
    });
    await next();
  };
}
