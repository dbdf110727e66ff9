import type { Logger } from 'pino';
import type { AnswerHeaders } from '../answer-headers.js';
import { isEncrypted } from '../cors-policy.js';
import type { GatewayError } from '../errors.js';
import { toErrorResponse, toGatewayError } from '../errors.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';
import { recordGatewayError } from '../tracing/events.js';

/**
 * The one place that writes error responses: a JSON envelope with the correlation id, never a stack.
 * Errors thrown by inner layers are answered here; errors that surface after the chain returned
 * reach `ctx.onerror`, which Koa calls for them. Failures of an exchange with a service arrive
 * already mapped and recorded by the forwarder (proxy/outcomes.ts): this layer only writes them.
 */
export function createErrors(options: { logger: Logger; headers: AnswerHeaders }): GatewayMiddleware {
  const { logger, headers } = options;

  function respond(ctx: GatewayContext, error: GatewayError): void {
    if (error.status >= 500) {
      const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
      const details = { correlationId: ctx.state.correlationId, code: error.code, path: ctx.path };
      if (error.code === 'INTERNAL_ERROR') logger.error({ ...details, err: error.cause }, 'request failed');
      // The forwarder logged the failures of its exchange when it recorded them.
      else if (ctx.state.upstream === undefined)
        logger.warn({ ...details, cause: cause?.code ?? cause?.message }, error.message);
    }
    ctx.state.refusal = { code: error.code, message: error.message };
    recordGatewayError(ctx, error);
    // The CORS headers too: a layer outside the CORS layer (the drain) answers before it ran.
    const response = toErrorResponse(
      error,
      ctx.state.correlationId,
      headers.of(ctx.req.headers, isEncrypted(ctx.req.socket)),
    );
    ctx.status = response.status;
    for (const [name, value] of response.headers) ctx.set(name, value);
    ctx.body = response.body;
  }

  /** Koa calls this with `this` = ctx for errors outside the middleware chain (see koa/lib/context.js). */
  function onerror(this: GatewayContext, raw: unknown): void {
    if (raw !== null && raw !== undefined) answerLate(this, raw);
  }

  function answerLate(ctx: GatewayContext, raw: unknown): void {
    if (ctx.headerSent || !ctx.writable) {
      // A response already begun cannot be answered: the client sees it cut short, never a hang.
      // A proxied body cut by its service was recorded by the forwarder.
      ctx.res.destroy();
      return;
    }
    for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
    respond(ctx, toGatewayError(raw));
    ctx.res.end(ctx.body);
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
