import { expect } from 'chai';
import { useGateway, useMetricsServer } from '../helpers/fixtures.js';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send, statusWithin } from '../helpers/http.js';
import {
  exportTo,
  parseTraceparent,
  SPAN_KIND,
  startOtlpReceiver,
  useOtlpReceiver,
  type OtlpReceiver,
} from '../helpers/otlp-receiver.js';
import { closedPort, closingOnSecondRequest, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';
import { closed, connectWebSocket, startWebSocketService, type WebSocketService } from '../helpers/websocket.js';

const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';

/** The value of one sample of a Prometheus or OpenMetrics text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1).split(' ')[0]);
}

async function droppedSpans(gateway: RunningGateway, reason: 'queue_full' | 'export_failed'): Promise<number> {
  const text = await gateway.gateway.metrics.registry.metrics();
  return sample(text, `gateway_trace_spans_dropped_total{reason="${reason}"}`) ?? Number.NaN;
}

describe('tracing: sampling', () => {
  const otlp = useOtlpReceiver();
  const fixture = useGateway({
    env: () => ({
      ...exportTo(otlp.receiver),
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    }),
  });

  it('when the ratio is 0, then a new trace is not exported but the service still gets its traceparent, flagged not sampled', async () => {
    await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
    const unsampled = parseTraceparent(fixture.upstream.seen.at(-1)!.headers.traceparent);
    expect(unsampled).to.include({ sampled: false });
    // A sampled trace sent after it: the batch exports in order, so once its spans are in, the first request's would be
    // too.
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/2',
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    });
    expect(parseTraceparent(fixture.upstream.seen.at(-1)!.headers.traceparent)).to.include({
      traceId: CLIENT_TRACE_ID,
      sampled: true,
    });
    await otlp.receiver.waitForSpans(2, (span) => span.traceId === CLIENT_TRACE_ID);
    expect(otlp.receiver.spans.filter((span) => span.traceId === unsampled!.traceId)).to.deep.equal([]);
  });

  it("when the client's trace is not sampled, then the gateway follows its parent: nothing exported, flag 00 downstream", async () => {
    const traceId = 'a'.repeat(32);
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/3',
      headers: { traceparent: `00-${traceId}-${CLIENT_SPAN_ID}-00` },
    });
    expect(parseTraceparent(fixture.upstream.seen.at(-1)!.headers.traceparent)).to.include({ traceId, sampled: false });
    const marker = 'b'.repeat(32);
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/4',
      headers: { traceparent: `00-${marker}-${CLIENT_SPAN_ID}-01` },
    });
    await otlp.receiver.waitForSpans(2, (span) => span.traceId === marker);
    expect(otlp.receiver.spans.filter((span) => span.traceId === traceId)).to.deep.equal([]);
  });
});

describe('tracing: off (no OTLP endpoint)', () => {
  const fixture = useGateway();

  it('when no endpoint is set, then nothing exports, yet each exchange sends a traceparent of its own and the log names the trace', async () => {
    expect(fixture.gateway.gateway.tracing.exporting).to.equal(false);
    const fresh = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { 'x-correlation-id': 'off-1' },
    });
    expect(fresh.status).to.equal(200);
    const sent = parseTraceparent(fixture.upstream.seen.at(-1)!.headers.traceparent);
    expect(sent, 'a valid traceparent').not.to.equal(undefined);
    expect(sent!.sampled, 'the default sampler (parent-based, always on) decides').to.equal(true);
    const line = fixture.gateway.logs.find((entry) => entry.correlationId === 'off-1')!;
    expect(line.trace_id).to.equal(sent!.traceId);
    expect(line.span_id)
      .to.match(/^[0-9a-f]{16}$/)
      .and.not.equal(sent!.parentId);

    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/2',
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-00`, tracestate: 'shop=1' },
    });
    const continued = fixture.upstream.seen.at(-1)!;
    expect(parseTraceparent(continued.headers.traceparent)).to.include({ traceId: CLIENT_TRACE_ID, sampled: false });
    expect(parseTraceparent(continued.headers.traceparent)!.parentId).not.to.equal(CLIENT_SPAN_ID);
    expect(continued.headers.tracestate).to.equal('shop=1');
  });
});

describe('tracing: a retried exchange', () => {
  const otlp = useOtlpReceiver();
  const fixture = useGateway({
    // The second request on any connection finds it closed: the gateway sends it once more on a new one.
    handler: closingOnSecondRequest((_request, response) => response.end('{}')),
    env: () => exportTo(otlp.receiver),
  });

  it('when an exchange is retried, then the retry is a second client span (resend count 1) and the service sees it as parent', async () => {
    await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/2',
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    });
    expect(response.status).to.equal(200);
    const spans = await otlp.receiver.waitForSpans(3, (span) => span.traceId === CLIENT_TRACE_ID);
    const server = spans.find((span) => span.kind === SPAN_KIND.SERVER)!;
    // Told apart by what they carry: the SDK's span clocks may differ by a millisecond, too little to order two
    // attempts.
    const exchanges = spans.filter((span) => span.kind === SPAN_KIND.CLIENT);
    expect(exchanges).to.have.length(2);
    const first = exchanges.find((span) => span.attributes['http.request.resend_count'] === undefined);
    const second = exchanges.find((span) => span.attributes['http.request.resend_count'] !== undefined);
    expect([first!.parentSpanId, second!.parentSpanId]).to.deep.equal([server.spanId, server.spanId]);
    expect(first!.attributes).to.include({ 'error.type': 'ECONNRESET' });
    expect(first!.attributes).not.to.have.property('http.request.resend_count');
    expect(second!.attributes).to.include({ 'http.request.resend_count': 1, 'http.response.status_code': 200 });
    expect(parseTraceparent(fixture.upstream.seen.at(-1)!.headers.traceparent)!.parentId).to.equal(second!.spanId);
  });
});

describe('tracing: WebSocket handshakes', () => {
  const otlp = useOtlpReceiver();
  let service: WebSocketService;
  let gateway: RunningGateway;

  before(async () => {
    service = await startWebSocketService();
    gateway = await startGateway({ ...allServicesAt(service.url), ...exportTo(otlp.receiver) });
  });

  after(async () => {
    await gateway.close();
    await service.close();
  });

  it('when a tunnel opens, then its handshake is a client span (101) and the server span ends only when the tunnel closes', async () => {
    const socket = await connectWebSocket(`ws://127.0.0.1:${gateway.port}/api/v1/products/live`, {
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    });
    const [handshake] = await otlp.receiver.waitForSpans(1, (span) => span.traceId === CLIENT_TRACE_ID);
    expect(handshake).to.include({ kind: SPAN_KIND.CLIENT, name: 'GET product-service' });
    expect(handshake!.attributes).to.include({ 'http.response.status_code': 101 });
    expect(parseTraceparent(service.seen.at(-1)!.headers.traceparent)!.parentId).to.equal(handshake!.spanId);
    // The batch exports in order: once a later request's spans are in, an ended server span would be too.
    const marker = await send({ port: gateway.port, path: '/health', headers: { 'x-correlation-id': 'marker' } });
    expect(marker.status).to.equal(200);
    const markerTrace = gateway.logs.find((entry) => entry.correlationId === 'marker')!.trace_id;
    await otlp.receiver.waitForSpans(1, (span) => span.traceId === markerTrace);
    expect(
      otlp.receiver.spans.filter((span) => span.traceId === CLIENT_TRACE_ID && span.kind === SPAN_KIND.SERVER),
    ).to.deep.equal([]);

    socket.close();
    await closed(socket);
    const [server] = await otlp.receiver.waitForSpans(
      1,
      (span) => span.traceId === CLIENT_TRACE_ID && span.kind === SPAN_KIND.SERVER,
    );
    expect(server!.name).to.equal('GET /api/v1/products');
    expect(server!.attributes).to.include({ 'http.response.status_code': 101 });
    expect(handshake!.parentSpanId).to.equal(server!.spanId);
  });
});

describe('tracing: a collector that is down or hangs', function () {
  this.timeout(30_000);
  let upstream: TestUpstream;

  before(async () => {
    upstream = await startUpstream();
  });

  after(async () => {
    await upstream.close();
  });

  /** A gateway exporting to `endpoint` with a queue of 4 spans, exports of 2, and a 300 ms export timeout. */
  function gatewayExportingTo(endpoint: string): Promise<RunningGateway> {
    return startGateway({
      ...allServicesAt(upstream.url),
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      OTEL_BSP_SCHEDULE_DELAY: '10',
      OTEL_BSP_MAX_QUEUE_SIZE: '4',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
      SHUTDOWN_GRACE_MS: '500',
    });
  }

  /** Sends `count` requests one after another; each must be answered 200 within 1 s. */
  async function requestsUnaffected(gateway: RunningGateway, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      expect(await statusWithin({ port: gateway.port, path: `/api/v1/products/${i}` }, 1000), `request ${i}`).to.equal(
        200,
      );
    }
  }

  const outageLines = (gateway: RunningGateway): unknown[] =>
    gateway.logs.filter((entry) => String(entry.msg).startsWith('trace export failing'));

  it('when the collector refuses connections, then requests are answered as usual, the lost spans are counted, and the outage is logged once', async () => {
    const gateway = await gatewayExportingTo(`http://127.0.0.1:${await closedPort()}`);
    try {
      await requestsUnaffected(gateway, 20);
      await waitFor(() => outageLines(gateway).length > 0);
      // A refused connection fails each export at once (its retry would come after the timeout).
      expect(await droppedSpans(gateway, 'export_failed')).to.be.greaterThan(0);
      expect(outageLines(gateway)).to.have.length(1);
    } finally {
      await gateway.close();
    }
  });

  it('when the collector accepts and never answers, then requests are answered as usual, spans are dropped at the queue, and export resumes once it answers', async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    receiver.hang(true);
    const gateway = await gatewayExportingTo(receiver.endpoint);
    try {
      await requestsUnaffected(gateway, 20);
      expect(await droppedSpans(gateway, 'queue_full')).to.be.greaterThan(0);
      expect(outageLines(gateway)).to.have.length(1);

      receiver.hang(false);
      await waitFor(() => gateway.logs.some((entry) => entry.msg === 'trace export recovered'), 5000);
      await send({
        port: gateway.port,
        path: '/api/v1/products/after',
        headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
      });
      await receiver.waitForSpans(2, (span) => span.traceId === CLIENT_TRACE_ID);
    } finally {
      await gateway.close();
      await receiver.close();
    }
  });
});

describe('tracing: exemplars on the duration histogram', () => {
  const otlp = useOtlpReceiver();
  const fixture = useGateway({ env: () => exportTo(otlp.receiver) });
  const metrics = useMetricsServer(fixture);

  it('when Prometheus asks for OpenMetrics, then a duration bucket carries the trace id as its exemplar; the text format stays as it was', async () => {
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    });
    // Prometheus's own Accept header.
    const accept =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const open = await send({ port: metrics.port, path: '/metrics', headers: { accept } });
    expect(open.headers['content-type']).to.match(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(open.text).to.match(
      new RegExp(
        `^gateway_http_request_duration_seconds_bucket\\{le="[^"]+",route="/api/v1/products",method="GET",status="200"\\} 1 # \\{trace_id="${CLIENT_TRACE_ID}"\\} `,
        'm',
      ),
    );
    expect(open.text).to.match(/^# TYPE gateway_http_requests counter$/m);
    expect(open.text.trimEnd().endsWith('# EOF')).to.equal(true);

    const text = await send({ port: metrics.port, path: '/metrics' });
    expect(text.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(
      sample(text.text, 'gateway_http_requests_total{route="/api/v1/products",method="GET",status="200"}'),
    ).to.equal(1);
    expect(text.text).to.match(/^# TYPE gateway_http_requests_total counter$/m);
    expect(text.text).not.to.include('trace_id');
    expect(sample(text.text, 'gateway_trace_spans_dropped_total{reason="queue_full"}')).to.equal(0);
  });

  it('when a trace is not recorded, then its request adds no exemplar', async () => {
    const traceId = 'c'.repeat(32);
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/users/1',
      headers: { traceparent: `00-${traceId}-${CLIENT_SPAN_ID}-00` },
    });
    const open = await send({
      port: metrics.port,
      path: '/metrics',
      headers: { accept: 'application/openmetrics-text' },
    });
    expect(open.text).to.match(
      /^gateway_http_request_duration_seconds_count\{route="\/api\/v1\/users",method="GET",status="200"\} 1$/m,
    );
    expect(open.text).not.to.include(traceId);
  });
});
