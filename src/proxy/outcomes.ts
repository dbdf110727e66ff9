import type { Logger } from 'pino';
import type { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayContext } from '../state.js';
import { isUpstreamFailure, mapUpstreamError } from './upstream-errors.js';

/** Status the request log shows for a response cut short because the service failed mid-body. */
const BAD_GATEWAY = 502;

/**
 * The one owner of how exchanges with the services end: it turns a transport error into the
 * envelope's error and records the outcome once — `ctx.state.upstream`, the
 * `gateway_upstream_errors_total` metric and the warn line. Nothing else maps or logs them.
 */
export interface UpstreamOutcomes {
  /** The service answered with its response headers. */
  responded(ctx: GatewayContext, status: number): void;
  /** The exchange failed before any response header: returns the error the client is answered with. */
  failed(ctx: GatewayContext, error: unknown): GatewayError;
  /** The service failed after its response headers: the response is cut and the cut recorded. */
  failedMidBody(ctx: GatewayContext, error: unknown): void;
}

/** Creates the outcome recorder of one gateway. */
export function createUpstreamOutcomes(options: { logger: Logger; metrics: GatewayMetrics }): UpstreamOutcomes {
  const { logger, metrics } = options;
  return {
    responded(ctx, status) {
      if (ctx.state.upstream !== undefined) ctx.state.upstream.status = status;
    },
    failed(ctx, raw) {
      const upstream = ctx.state.upstream!;
      const error = mapUpstreamError(raw, upstream.service);
      // An error raised on the gateway's side of the exchange (an over-long request body) is not the service's.
      if (error.status !== BAD_GATEWAY) return error;
      const cause = causeOf(raw);
      upstream.error = cause;
      metrics.upstreamError(upstream.service, error.code);
      logger.warn({ correlationId: ctx.state.correlationId, code: error.code, path: ctx.path, service: upstream.service, cause }, error.message);
      return error;
    },
    failedMidBody(ctx, raw) {
      const upstream = ctx.state.upstream!;
      if (isUpstreamFailure(raw)) {
        upstream.error = raw.code;
        upstream.cutStatus = BAD_GATEWAY;
        metrics.upstreamError(upstream.service, raw.code);
        logger.warn({ correlationId: ctx.state.correlationId, path: ctx.path, service: upstream.service, cause: raw.code }, 'upstream response failed mid-body; response cut');
      }
      ctx.res.destroy();
    },
  };
}

function causeOf(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : undefined;
}
