import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { finalStatus } from '../response-status.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * Writes one JSON line per request once its response is complete or abandoned, and counts it in
 * the request metrics. Only the path is logged: query strings and headers may carry tokens. The
 * line carries the request's `trace_id` and `span_id` (its server span); a recorded trace's id is
 * the exemplar of its duration.
 */
export function createLogging(options: { logger: Logger; metrics: GatewayMetrics }): GatewayMiddleware {
  const { logger, metrics } = options;
  return async function logging(ctx, next) {
    const started = performance.now();
    const { socket } = ctx.req;
    const bytesBefore = socket.bytesWritten;
    ctx.res.once('close', () => {
      const upstream = ctx.state.upstream;
      const status = finalStatus(ctx);
      const durationMs = performance.now() - started;
      const trace = ctx.state.trace;
      const spanContext = trace?.span.spanContext();
      metrics.observeRequest(ctx.path, ctx.method, status, durationMs / 1000, trace?.recorded === true ? spanContext?.traceId : undefined);
      logger.info({
        correlationId: ctx.state.correlationId,
        trace_id: spanContext?.traceId,
        span_id: spanContext?.spanId,
        method: ctx.method,
        path: ctx.path,
        status,
        durationMs: Math.round(durationMs * 10) / 10,
        service: upstream?.service,
        upstreamStatus: upstream?.status,
        upstreamError: upstream?.error,
        bytes: socket.bytesWritten - bytesBefore,
      }, 'request completed');
    });
    await next();
  };
}
