import type { Context, Span, SpanOptions } from '@opentelemetry/api';

/**
 * What starts the gateway's spans: the SDK's tracer when exporting, else one that only propagates
 * (propagating-tracer.ts).
 */
export interface SpanStarter {
  startSpan(name: string, options: SpanOptions, context: Context): Span;
}

/**
 * The trace of one request (`ctx.state.trace`), set by the tracing layer before any other layer but correlation runs.
 */
export interface RequestTrace {
  readonly tracer: SpanStarter;
  /** The SERVER span of the request. */
  readonly span: Span;
  /** The incoming trace context with {@link span} in it: the parent of every client span. */
  readonly context: Context;
  /** True when the span records (sampled and exported): exemplars link only to traces that exist. */
  readonly recorded: boolean;
  /** Exchanges with services started so far: the second is a retry (`http.request.resend_count`). */
  exchanges: number;
  /** The contract code of an error answered by the gateway itself, set by the error layer. */
  errorCode?: string;
}
