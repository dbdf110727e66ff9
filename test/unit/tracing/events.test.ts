import { ROOT_CONTEXT, type Attributes, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import type { GatewayContext } from '../../../src/state.js';
import { markTokenRefused } from '../../../src/tracing/events.js';

/** The attributes of the one `token refused` event that `reason` leaves on a recorded span. */
function refusalFor(reason: string): Attributes | undefined {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const span: Span = provider.getTracer('test').startSpan('request', {}, ROOT_CONTEXT);
  const ctx = {
    state: {
      correlationId: 'c',
      trace: { span, tracer: provider.getTracer('test'), context: ROOT_CONTEXT, recorded: true, exchanges: 0 },
    },
  } as unknown as GatewayContext;
  markTokenRefused(ctx, reason);
  span.end();
  return exporter.getFinishedSpans()[0]!.events.find((event) => event.name === 'token refused')?.attributes;
}

describe('markTokenRefused', () => {
  it('when jsonwebtoken gives a known reason, then the event keeps its fixed phrase only', () => {
    expect(refusalFor('jwt expired')).to.deep.equal({ 'gateway.auth.refusal': 'jwt expired' });
    expect(refusalFor('jwt audience invalid. expected: shop')).to.deep.equal({
      'gateway.auth.refusal': 'jwt audience invalid',
    });
    expect(refusalFor('no token')).to.deep.equal({ 'gateway.auth.refusal': 'no token' });
  });

  it('when a reason quotes the token or its claims, then none of it reaches the span', () => {
    expect(refusalFor('Unexpected token a in JSON: "ada@example.com"')).to.deep.equal({
      'gateway.auth.refusal': 'invalid token',
    });
    expect(refusalFor('token type ada@example.com is not access')).to.deep.equal({
      'gateway.auth.refusal': 'token type is not access',
    });
  });
});
