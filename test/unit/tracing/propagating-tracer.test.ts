import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { TraceState as CoreTraceState } from '@opentelemetry/core';
import { expect } from 'chai';
import { createPropagatingTracer } from '../../../src/tracing/propagating-tracer.js';

const PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.NONE,
  isRemote: true,
};

describe('createPropagatingTracer', () => {
  it('when there is no parent, then each span starts a trace of its own with fresh ids, flagged as the sampler decides', () => {
    const on = createPropagatingTracer(new AlwaysOnSampler());
    const [a, b] = [
      on.startSpan('x', { kind: SpanKind.SERVER }, ROOT_CONTEXT),
      on.startSpan('x', { kind: SpanKind.SERVER }, ROOT_CONTEXT),
    ];
    expect(a.spanContext().traceId)
      .to.match(/^[0-9a-f]{32}$/)
      .and.not.equal(b.spanContext().traceId);
    expect(a.spanContext().traceFlags).to.equal(TraceFlags.SAMPLED);
    expect(a.isRecording(), 'nothing is recorded').to.equal(false);
    const off = createPropagatingTracer(new AlwaysOffSampler());
    expect(off.startSpan('x', {}, ROOT_CONTEXT).spanContext().traceFlags).to.equal(TraceFlags.NONE);
  });

  it('when a parent is in the context, then the span continues its trace and trace state, with a span id of its own', () => {
    const tracer = createPropagatingTracer(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    const state = new CoreTraceState('shop=1');
    const span = tracer.startSpan('x', {}, trace.setSpanContext(ROOT_CONTEXT, { ...PARENT, traceState: state }));
    const context = span.spanContext();
    expect(context.traceId).to.equal(PARENT.traceId);
    expect(context.spanId)
      .to.match(/^[0-9a-f]{16}$/)
      .and.not.equal(PARENT.spanId);
    expect(context.traceFlags, 'the unsampled parent decides').to.equal(TraceFlags.NONE);
    expect(context.traceState?.serialize()).to.equal('shop=1');
  });
});
