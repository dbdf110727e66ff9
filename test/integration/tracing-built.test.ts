import { expect } from 'chai';
import { useUpstream } from '../helpers/fixtures.js';
import { allServicesAt } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { parseTraceparent, SPAN_KIND, useOtlpReceiver } from '../helpers/otlp-receiver.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';
import { waitFor } from '../helpers/wait.js';

/** A client's sampled traceparent for trace `digit` × 32. */
const clientTrace = (digit: string): { traceId: string; traceparent: string } => ({
  traceId: digit.repeat(32),
  traceparent: `00-${digit.repeat(32)}-00f067aa0ba902b7-01`,
});

describe('tracing through the built gateway', function () {
  this.timeout(30_000);
  const otlp = useOtlpReceiver();
  const service = useUpstream();

  afterEach(async () => {
    await killSpawnedGateways();
  });

  it("when the full onion is on (auth, Redis limits), then a client's trace continues into the service and its span tree, and a 429's rate-limit event, reach the collector", async () => {
    const { upstream } = service;
    // Default protocol: OTLP over HTTP as protobuf.
    const gateway = await spawnGateway({
      ...allServicesAt(upstream.url),
      ...AUTH_ENV,
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: uniquePrefix('tracing'),
      RATE_LIMIT_MAX: '2',
      // Counted in Redis from the first request: a slow command on a busy machine would count it in memory.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '2000',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '10',
    });
    await waitFor(() => gateway.logs.some((line) => line.redis === 'ready'), 10_000);
    const authorization = `Bearer ${accessToken()}`;
    const [first, second, third] = [clientTrace('1'), clientTrace('2'), clientTrace('3')];
    const statuses = [];
    for (const trace of [first, second, third]) {
      statuses.push(
        (
          await send({
            port: gateway.port,
            path: '/api/v1/products/5',
            headers: { authorization, traceparent: trace.traceparent },
          })
        ).status,
      );
    }
    expect(statuses).to.deep.equal([200, 200, 429]);
    const downstream = parseTraceparent(upstream.seen.at(-2)!.headers.traceparent);
    expect(downstream).to.include({ traceId: first.traceId, sampled: true });

    const tree = await otlp.receiver.waitForSpans(2, (span) => span.traceId === first.traceId);
    const server = tree.find((span) => span.kind === SPAN_KIND.SERVER)!;
    const client = tree.find((span) => span.kind === SPAN_KIND.CLIENT)!;
    expect([server.name, server.parentSpanId]).to.deep.equal(['GET /api/v1/products', '00f067aa0ba902b7']);
    expect([client.name, client.parentSpanId]).to.deep.equal(['GET product-service', server.spanId]);
    expect(downstream!.parentId).to.equal(client.spanId);
    expect(server.attributes).to.include({ 'user.id': '42', 'http.response.status_code': 200 });
    expect(otlp.receiver.contentTypes[0]).to.equal('application/x-protobuf');

    const [limited] = await otlp.receiver.waitForSpans(1, (span) => span.traceId === third.traceId);
    expect(limited!.kind).to.equal(SPAN_KIND.SERVER);
    expect(limited!.events).to.deep.equal([
      { name: 'rate limited', attributes: { 'gateway.rate_limit.kind': 'ip', 'gateway.rate_limit.limit': 2 } },
    ]);
    expect(limited!.attributes).to.include({
      'http.response.status_code': 429,
      'gateway.error.code': 'TOO_MANY_REQUESTS',
    });

    const logged = gateway.logs.filter((line) => line.msg === 'request completed').map((line) => line.trace_id);
    expect(logged).to.deep.equal([first.traceId, second.traceId, third.traceId]);
  });

  it('when the gateway is stopped, then spans still queued are exported within the shutdown grace', async () => {
    const { upstream } = service;
    const gateway = await spawnGateway({
      ...allServicesAt(upstream.url),
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.receiver.endpoint,
      // Nothing is exported on the schedule during this test: only the shutdown can send the spans.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      SHUTDOWN_GRACE_MS: '3000',
    });
    const trace = clientTrace('4');
    expect(
      (await send({ port: gateway.port, path: '/api/v1/products/6', headers: { traceparent: trace.traceparent } }))
        .status,
    ).to.equal(200);
    expect(otlp.receiver.spans.filter((span) => span.traceId === trace.traceId)).to.deep.equal([]);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).to.equal(0);
    expect(
      otlp.receiver.spans
        .filter((span) => span.traceId === trace.traceId)
        .map((span) => span.kind)
        .sort(),
    ).to.deep.equal([SPAN_KIND.SERVER, SPAN_KIND.CLIENT]);
  });
});
