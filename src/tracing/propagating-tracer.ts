import {
  ROOT_CONTEXT,
  SpanKind,
  TraceFlags,
  isSpanContextValid,
  trace,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { RandomIdGenerator, SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace-base';
import type { SpanStarter } from './request-trace.js';

/**
 * The tracer of a gateway that exports nothing: it records nothing, but each span it starts has
 * fresh ids, continues the incoming trace, and carries the sampler's decision, so the services
 * still receive a `traceparent` naming the trace (DESIGN.md, "Tracing"). The spans are the API's
 * non-recording spans: setting attributes or events on them costs a call and nothing more.
 */
export function createPropagatingTracer(sampler: Sampler): SpanStarter {
  const ids = new RandomIdGenerator();
  return {
    startSpan(name: string, options: SpanOptions, context: Context = ROOT_CONTEXT): Span {
      const parent = trace.getSpanContext(context);
      const continued = parent !== undefined && isSpanContextValid(parent);
      const traceId = continued ? parent.traceId : ids.generateTraceId();
      const { decision } = sampler.shouldSample(
        context,
        traceId,
        name,
        options.kind ?? SpanKind.INTERNAL,
        options.attributes ?? {},
        options.links ?? [],
      );
      return trace.wrapSpanContext({
        traceId,
        spanId: ids.generateSpanId(),
        traceFlags: decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
        traceState: continued ? parent.traceState : undefined,
      });
    },
  };
}
