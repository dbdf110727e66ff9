import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { CLIENT_CLOSED_REQUEST, finalStatus } from '../response-status.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';
import { ATTR, EVENT, looksLikeEmail, methodOf } from './attributes.js';
import type { SpanStarter } from './request-trace.js';

/** W3C Trace Context: an invalid `traceparent` is ignored (and its `tracestate` with it), as the spec says. */
const PROPAGATOR = new W3CTraceContextPropagator();

/** Options of the tracing layer. */
export interface TracingLayerOptions {
  readonly tracer: SpanStarter;
}

/** The metrics' label of a path under no route (metrics.ts, createRouteLabel): no `http.route` then. */
const UNMATCHED = 'unmatched';

/**
 * Starts the SERVER span of each request, continuing a valid incoming `traceparent`, and ends it
 * when the response closes (for a WebSocket tunnel, when the tunnel closes). The span is named
 * `METHOD route-prefix` and carries the HTTP semantic conventions' attributes: the path without
 * its query string, the client address, the status, the user id when it is no e-mail; never a
 * token or a header. Inner layers reach it through `ctx.state.trace` (events.ts, client-span.ts).
 */
export function createTracingLayer(options: TracingLayerOptions): GatewayMiddleware {
  const { tracer } = options;
  return async function tracing(ctx, next) {
    const parent = PROPAGATOR.extract(ROOT_CONTEXT, ctx.req.headers, defaultTextMapGetter);
    // The route prefix from the routing this request runs on (the layer before this one set it).
    const label = ctx.state.routing.routeLabel(ctx.path);
    const route = label === UNMATCHED ? undefined : label;
    const method = methodOf(ctx.method);
    const span = tracer.startSpan(
      route === undefined ? method.name : `${method.name} ${route}`,
      { kind: SpanKind.SERVER },
      parent,
    );
    const recorded = span.isRecording();
    ctx.state.trace = { tracer, span, context: trace.setSpan(parent, span), recorded, exchanges: 0 };
    if (recorded) {
      span.setAttributes({
        [ATTR.METHOD]: method.attribute,
        [ATTR.URL_PATH]: ctx.path,
        [ATTR.URL_SCHEME]: ctx.protocol,
        [ATTR.CLIENT_ADDRESS]: ctx.ip,
        [ATTR.CORRELATION_ID]: ctx.state.correlationId,
      });
      if (method.attribute === '_OTHER') span.setAttribute(ATTR.METHOD_ORIGINAL, ctx.method);
      if (route !== undefined) span.setAttribute(ATTR.ROUTE, route);
      ctx.res.once('close', () => endServerSpan(ctx, span));
    }
    await next();
  };
}

/**
 * Status, user and outcome, then the end: a 5xx is an error of the server span, a 4xx is not (HTTP span status rules).
 */
function endServerSpan(ctx: GatewayContext, span: Span): void {
  const status = finalStatus(ctx);
  span.setAttribute(ATTR.STATUS_CODE, status);
  const user = ctx.state.user?.id;
  if (user !== undefined && !looksLikeEmail(user)) span.setAttribute(ATTR.USER_ID, user);
  if (status === CLIENT_CLOSED_REQUEST) span.addEvent(EVENT.CLIENT_GONE);
  if (status >= 500) {
    span.setAttribute(ATTR.ERROR_TYPE, ctx.state.trace?.errorCode ?? String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
