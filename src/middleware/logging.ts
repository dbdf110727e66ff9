import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { finalStatus } from '../response-status.js';
import type { GatewayMiddleware } from '../state.js';
import { upgradeOf } from '../upgrade.js';

/**
 * Writes one JSON line per request once its response is complete or abandoned, and counts it in
 * the request metrics. Only the path is logged: query strings and headers may carry tokens.
 * An answer of the gateway's own says why (`errorCode`, `reason`), and a WebSocket handshake says
 * it is one: a browser shows scripts neither the status nor the body of a refused handshake, so
 * this line is where its reason is found.
 * The line carries the request's `trace_id` and `span_id` (its server span); a recorded trace's id
 * is the exemplar of its duration.
 */
export function createLogging(options: { logger: Logger; metrics: GatewayMetrics }): GatewayMiddleware {
  const { logger, metrics } = options;
  return async function logging(ctx, next) {
    const started = performance.now();
    const { socket } = ctx.req;
    const bytesBefore = socket.bytesWritten;
    ctx.res.once('close', () => {
      const { upstream, refusal } = ctx.state;
      const status = finalStatus(ctx);
      const durationMs = performance.now() - started;
      const trace = ctx.state.trace;
      const spanContext = trace?.span.spanContext();
      metrics.observeRequest(
        ctx.state.routing.routeLabel(ctx.path),
        ctx.method,
        status,
        durationMs / 1000,
        trace?.recorded === true ? spanContext?.traceId : undefined,
      );
      logger.info(
        {
          correlationId: ctx.state.correlationId,
          trace_id: spanContext?.traceId,
          span_id: spanContext?.spanId,
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
        },
        'request completed',
      );
    });
    await next();
  };
}
