import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { GatewayError, toEnvelope, toGatewayError } from '../errors.js';
import { isUpstreamFailure, mapUpstreamError } from '../proxy/upstream-errors.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';

/**
 * The one place that writes error responses: a JSON envelope with the correlation id, never a stack.
 * Errors thrown by inner layers are answered here; errors that surface after the chain returned
 * (a proxied body that fails while streaming) reach `ctx.onerror`, which Koa calls for them.
 */
export function createErrors(options: { logger: Logger; metrics: GatewayMetrics }): GatewayMiddleware {
  const { logger, metrics } = options;

  function respond(ctx: GatewayContext, error: GatewayError): void {
    if (error.status >= 500) {
      const cause = error.cause as { code?: unknown; message?: unknown; stack?: unknown } | undefined;
      const details = { correlationId: ctx.state.correlationId, code: error.code, path: ctx.path };
      if (error.code === 'INTERNAL_ERROR') logger.error({ ...details, err: cause }, 'request failed');
      else logger.warn({ ...details, cause: cause?.code ?? cause?.message }, error.message);
      const upstream = ctx.state.upstream;
      if (upstream !== undefined && error.status === 502) metrics.upstreamError(upstream.service, error.code);
    }
    ctx.set(error.headers);
    ctx.status = error.status;
    ctx.body = toEnvelope(error, ctx.state.correlationId);
  }

  /** Koa calls this with `this` = ctx for errors outside the middleware chain (see koa/lib/context.js). */
  function onerror(this: GatewayContext, raw: unknown): void {
    if (raw === null || raw === undefined) return;
    const ctx = this;
    const upstream = ctx.state.upstream;
    if (ctx.headerSent || !ctx.writable) {
      // Koa's pipeline has already destroyed the response: the client sees it cut short, never a hang.
      // Koa reports the failure twice (pipeline, then on-finished): log it once.
      if (upstream !== undefined && upstream.error === undefined && isUpstreamFailure(raw)) {
        upstream.error = raw.code;
        metrics.upstreamError(upstream.service, raw.code);
        logger.warn({ correlationId: ctx.state.correlationId, path: ctx.path, service: upstream.service, cause: raw.code }, 'upstream response failed mid-body; response cut');
      }
      ctx.res.destroy();
      return;
    }
    const error = upstream !== undefined ? mapUpstreamError(raw, upstream.service) : toGatewayError(raw);
    for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
    ctx.set('x-correlation-id', ctx.state.correlationId);
    respond(ctx, error);
    ctx.res.end(JSON.stringify(ctx.body));
  }

  return async function errors(ctx, next) {
    ctx.onerror = onerror;
    try {
      await next();
    } catch (raw) {
      if (ctx.headerSent || !ctx.writable) {
        ctx.res.destroy();
        return;
      }
      respond(ctx, toGatewayError(raw));
    }
  };
}
