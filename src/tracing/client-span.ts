import type { EventEmitter } from 'node:events';
import { SpanKind, SpanStatusCode, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { GatewayContext } from '../state.js';
import { ATTR, methodOf, pathOf } from './attributes.js';

const PROPAGATOR = new W3CTraceContextPropagator();

/** The instance of a service one exchange goes to. */
export interface UpstreamInstance {
  readonly service: string;
  /** `http:` or `https:`. */
  readonly protocol: string;
  /** Host name or IP address, as the request is sent to it. */
  readonly address: string;
  readonly port: number;
}

/**
 * How an exchange ended: the service's status, a transport error (before or after the status), or neither (cancelled).
 */
export interface ExchangeOutcome {
  readonly status?: number;
  readonly error?: unknown;
}

/** The CLIENT span of one exchange with a service. */
export interface ClientSpan {
  /** `traceparent` (this span is its parent) and `tracestate`, for the request to the service. */
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the span with `outcome`; only the first call counts. */
  end(outcome: ExchangeOutcome): void;
  /**
   * Ends the span from the events of `request` (a got stream or a node:http ClientRequest): its
   * response's status, then the end of that response's body, an error, an upgrade, or a cancel.
   */
  follow(request: EventEmitter): void;
}

/**
 * Starts the CLIENT span of one exchange with `instance`, as a child of the request's server
 * span; a retry calls this again and gets a second span. Its headers go downstream whether the
 * trace is sampled or not: the flag says which. `path` is the upstream request target; its query
 * string never reaches an attribute.
 */
export function startClientSpan(ctx: GatewayContext, instance: UpstreamInstance, path: string): ClientSpan {
  const requestTrace = ctx.state.trace;
  if (requestTrace === undefined) return UNTRACED;
  const resends = requestTrace.exchanges;
  requestTrace.exchanges += 1;
  const method = methodOf(ctx.method);
  const span = requestTrace.tracer.startSpan(
    `${method.name} ${instance.service}`,
    { kind: SpanKind.CLIENT },
    requestTrace.context,
  );
  const headers: Record<string, string> = {};
  PROPAGATOR.inject(trace.setSpan(requestTrace.context, span), headers, defaultTextMapSetter);
  if (!span.isRecording()) return { headers, end: ignore, follow: ignore };

  span.setAttributes({
    [ATTR.METHOD]: method.attribute,
    [ATTR.SERVER_ADDRESS]: instance.address,
    [ATTR.SERVER_PORT]: instance.port,
    [ATTR.URL_FULL]: `${instance.protocol}//${instance.address.includes(':') ? `[${instance.address}]` : instance.address}:${instance.port}${pathOf(path)}`,
    [ATTR.SERVER_SERVICE_NAME]: instance.service,
    [ATTR.PEER_SERVICE]: instance.service,
  });
  if (resends > 0) span.setAttribute(ATTR.RESEND_COUNT, resends);
  let ended = false;
  let status: number | undefined;

  function end(outcome: ExchangeOutcome): void {
    if (ended) return;
    ended = true;
    if (outcome.status !== undefined) span.setAttribute(ATTR.STATUS_CODE, outcome.status);
    // A client span fails on a transport error or a 4xx/5xx (HTTP span status rules).
    const errorType =
      outcome.error !== undefined
        ? errorTypeOf(outcome.error)
        : outcome.status !== undefined && outcome.status >= 400
          ? String(outcome.status)
          : undefined;
    if (errorType !== undefined) {
      span.setAttribute(ATTR.ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  return {
    headers,
    end,
    follow(request) {
      request.once('response', (response: { statusCode?: number }) => {
        status = response.statusCode;
      });
      request.once('upgrade', (response: { statusCode?: number }) => end({ status: response.statusCode }));
      request.once('error', (error: unknown) => end({ status, error }));
      // got's stream ends when its body has been read (it does not destroy itself: no 'close' then);
      // a ClientRequest closes once its response is done. Either way the exchange is over.
      request.once('end', () => end({ status }));
      request.once('close', () => end({ status }));
    },
  };
}

/** The transport error's code (`ECONNREFUSED`, `ETIMEDOUT` …), else its class name. */
function errorTypeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : '_OTHER';
}

function ignore(): void {}

const UNTRACED: ClientSpan = { headers: {}, end: ignore, follow: ignore };
