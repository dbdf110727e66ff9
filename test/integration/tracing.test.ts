import http from 'node:http';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send, type TestResponse } from '../helpers/http.js';
import {
  exportTo,
  parseTraceparent,
  SPAN_KIND,
  useOtlpReceiver,
  type AttributeValue,
  type ReceivedSpan,
} from '../helpers/otlp-receiver.js';
import { AUTH_ENV, accessToken, epochSeconds } from '../helpers/tokens.js';
import { closedPort } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const SAMPLED_PARENT = `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`;

/** Every attribute value of `spans`: their own, their events' and their resource's. */
function attributeValues(spans: readonly ReceivedSpan[]): AttributeValue[] {
  return spans.flatMap((span) => [
    ...Object.values(span.attributes),
    ...span.events.flatMap((event) => Object.values(event.attributes)),
    ...Object.values(span.resource),
  ]);
}

function serverSpan(spans: readonly ReceivedSpan[]): ReceivedSpan {
  const servers = spans.filter((span) => span.kind === SPAN_KIND.SERVER);
  expect(servers, 'one server span').to.have.length(1);
  return servers[0]!;
}

describe('tracing: the spans of a request', () => {
  const otlp = useOtlpReceiver();
  let nextClient = 0;
  const fixture = useGateway({
    // A service that never answers `/products/hold`: its client leaves first.
    handler: (request, response, seen) => {
      if (request.url === '/products/hold') return;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ url: seen.url }));
    },
    env: async () => ({
      ...exportTo(otlp.receiver),
      ...AUTH_ENV,
      // Each test is its own client (X-Forwarded-For), so each has its own budget of two requests.
      TRUST_PROXY: 'true',
      RATE_LIMIT_MAX: '2',
      RATE_LIMIT_USER_MAX: '1000',
      INVENTORY_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      CIRCUIT_FAILURE_THRESHOLD: '1',
    }),
  });

  /** Headers of a new client with a valid token for user 42 (whose `sub` is an e-mail), plus `extra`. */
  function client(extra: Record<string, string> = {}): Record<string, string> {
    nextClient += 1;
    return { 'x-forwarded-for': `198.51.100.${nextClient}`, authorization: `Bearer ${accessToken()}`, ...extra };
  }

  /** The trace id the gateway logged for the request answered by `response`. */
  function loggedTrace(response: TestResponse): { traceId: string; spanId: string } {
    const line = fixture.gateway.logs.find(
      (entry) => entry.msg === 'request completed' && entry.correlationId === response.headers['x-correlation-id'],
    );
    expect(line, 'request log line').not.to.equal(undefined);
    return { traceId: line!.trace_id as string, spanId: line!.span_id as string };
  }

  it('when a client sends a valid traceparent, then the server span continues it, the client span is its child, and the service gets the client span as parent', async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/7',
      headers: client({ traceparent: SAMPLED_PARENT, tracestate: 'shop=abc,vendor=1', 'x-correlation-id': 'order-7' }),
    });
    expect(response.status).to.equal(200);
    const seen = fixture.upstream.seen.at(-1)!;
    const downstream = parseTraceparent(seen.headers.traceparent);
    expect(downstream).to.include({ traceId: CLIENT_TRACE_ID, sampled: true });
    expect(seen.headers.tracestate).to.equal('shop=abc,vendor=1');
    expect(seen.headers['x-correlation-id']).to.equal('order-7');

    const spans = await otlp.receiver.waitForSpans(2, (span) => span.traceId === CLIENT_TRACE_ID);
    const server = serverSpan(spans);
    const clientSpan = spans.find((span) => span.kind === SPAN_KIND.CLIENT)!;
    expect(server.parentSpanId).to.equal(CLIENT_SPAN_ID);
    expect(clientSpan.parentSpanId).to.equal(server.spanId);
    expect(downstream!.parentId).to.equal(clientSpan.spanId);
    expect(loggedTrace(response)).to.deep.equal({ traceId: CLIENT_TRACE_ID, spanId: server.spanId });
  });

  it("when a request is proxied, then its spans carry the HTTP semantic conventions' attributes and the service's name and instance", async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/8?sort=price',
      headers: client(),
    });
    const { traceId } = loggedTrace(response);
    const spans = await otlp.receiver.waitForSpans(2, (span) => span.traceId === traceId);
    const server = serverSpan(spans);
    const clientSpan = spans.find((span) => span.kind === SPAN_KIND.CLIENT)!;
    expect(server.name).to.equal('GET /api/v1/products');
    expect(server.parentSpanId).to.equal('');
    expect(server.attributes).to.deep.include({
      'http.request.method': 'GET',
      'http.route': '/api/v1/products',
      'url.path': '/api/v1/products/8',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'client.address': `198.51.100.${nextClient}`,
      'user.id': '42',
    });
    const port = Number(new URL(fixture.upstream.url).port);
    expect(clientSpan.name).to.equal('GET product-service');
    expect(clientSpan.attributes).to.deep.include({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `http://127.0.0.1:${port}/products/8`,
      'server.service.name': 'product-service',
      'http.response.status_code': 200,
    });
    expect(server.resource).to.include({ 'service.name': 'api-gateway' });
  });

  it('when the incoming traceparent is invalid, then it is ignored, a new trace starts, and the service gets the new trace', async () => {
    for (const invalid of [
      `00-${'0'.repeat(32)}-${CLIENT_SPAN_ID}-01`,
      `ff-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`,
      'not-a-traceparent',
    ]) {
      const response = await send({
        port: fixture.gateway.port,
        path: '/api/v1/products/9',
        headers: client({ traceparent: invalid, tracestate: 'shop=abc' }),
      });
      const { traceId } = loggedTrace(response);
      expect(traceId, invalid).not.to.be.oneOf([CLIENT_TRACE_ID, '0'.repeat(32)]);
      const seen = fixture.upstream.seen.at(-1)!;
      expect(parseTraceparent(seen.headers.traceparent)?.traceId, invalid).to.equal(traceId);
      // The spec: tracestate goes with the traceparent it came with.
      expect(seen.headers.tracestate, invalid).to.equal(undefined);
      const server = serverSpan(await otlp.receiver.waitForSpans(2, (span) => span.traceId === traceId));
      expect(server.parentSpanId, invalid).to.equal('');
    }
  });

  it('when requests carry a token, an e-mail, a query string or a refused token, then none of them is in any attribute', async () => {
    const token = accessToken({ email: 'grace@example.com' });
    const expired = accessToken({ exp: epochSeconds(-60) });
    const responses = [
      await send({
        port: fixture.gateway.port,
        path: `/api/v1/products/10?q=secret-query&access_token=${token}`,
        headers: { ...client(), authorization: `Bearer ${token}` },
      }),
      await send({
        port: fixture.gateway.port,
        path: '/api/v1/users/me?email=ada@example.com',
        headers: { ...client(), authorization: `Bearer ${accessToken({ userId: undefined })}` },
      }),
      await send({
        port: fixture.gateway.port,
        path: '/api/v1/products/11?q=secret-query',
        headers: { ...client(), authorization: `Bearer ${expired}` },
      }),
    ];
    expect(responses.map((response) => response.status)).to.deep.equal([200, 200, 401]);
    const traces = responses.map((response) => loggedTrace(response).traceId);
    await otlp.receiver.waitForSpans(5, (span) => traces.includes(span.traceId));
    const spans = otlp.receiver.spans.filter((span) => traces.includes(span.traceId));
    const values = JSON.stringify(attributeValues(spans));
    for (const secret of [
      token,
      expired,
      token.split('.')[1]!,
      'ada@example.com',
      'grace@example.com',
      'secret-query',
      'access_token',
      '?',
    ]) {
      expect(values, secret).not.to.include(secret);
    }
    // A user named only by an e-mail (`sub`, no `userId`) is not named at all.
    expect(serverSpan(spans.filter((span) => span.traceId === traces[1])).attributes).not.to.have.property('user.id');
    const refused = serverSpan(spans.filter((span) => span.traceId === traces[2]));
    expect(refused.events).to.deep.equal([
      { name: 'token refused', attributes: { 'gateway.auth.refusal': 'jwt expired' } },
    ]);
    expect(refused.attributes).to.include({ 'http.response.status_code': 401, 'gateway.error.code': 'UNAUTHORIZED' });
    expect(refused.statusCode, 'a 4xx is no error of a server span').to.equal(0);
  });

  it("when a client goes over its limit, then the 429's server span has a rate-limited event naming the limit, and no client span", async () => {
    const headers = client();
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await send({ port: fixture.gateway.port, path: '/api/v1/products/12', headers })).status);
    expect(statuses).to.deep.equal([200, 200, 429]);
    const limited = fixture.gateway.logs
      .filter((entry) => entry.msg === 'request completed' && entry.status === 429)
      .at(-1)!;
    const spans = await otlp.receiver.waitForSpans(1, (span) => span.traceId === limited.trace_id);
    expect(spans.map((span) => span.kind)).to.deep.equal([SPAN_KIND.SERVER]);
    expect(spans[0]!.events).to.deep.equal([
      { name: 'rate limited', attributes: { 'gateway.rate_limit.kind': 'ip', 'gateway.rate_limit.limit': 2 } },
    ]);
    expect(spans[0]!.attributes).to.include({
      'gateway.error.code': 'TOO_MANY_REQUESTS',
      'http.response.status_code': 429,
    });
  });

  it('when a service is down and its circuit opens, then the failed exchange is an error client span and the refused request has a circuit-open event', async () => {
    const failed = await send({ port: fixture.gateway.port, path: '/api/v1/inventory/sku-1', headers: client() });
    const refused = await send({ port: fixture.gateway.port, path: '/api/v1/inventory/sku-1', headers: client() });
    expect([failed.status, refused.status]).to.deep.equal([502, 503]);

    const failedSpans = await otlp.receiver.waitForSpans(2, (span) => span.traceId === loggedTrace(failed).traceId);
    const server = serverSpan(failedSpans);
    const exchange = failedSpans.find((span) => span.kind === SPAN_KIND.CLIENT)!;
    expect(exchange.attributes).to.include({
      'error.type': 'ECONNREFUSED',
      'server.service.name': 'inventory-service',
    });
    expect(exchange.attributes).not.to.have.property('http.response.status_code');
    expect(exchange.statusCode).to.equal(2);
    expect(server.attributes).to.include({
      'error.type': 'SERVICE_UNAVAILABLE',
      'gateway.error.code': 'SERVICE_UNAVAILABLE',
      'http.response.status_code': 502,
    });
    expect(server.statusCode).to.equal(2);

    const refusedSpans = await otlp.receiver.waitForSpans(1, (span) => span.traceId === loggedTrace(refused).traceId);
    expect(refusedSpans.map((span) => span.kind)).to.deep.equal([SPAN_KIND.SERVER]);
    expect(refusedSpans[0]!.events).to.deep.equal([
      { name: 'circuit open', attributes: { 'gateway.service': 'inventory-service' } },
    ]);
    expect(refusedSpans[0]!.attributes).to.include({ 'error.type': 'CIRCUIT_OPEN' });
  });

  it('when the client leaves before the service answers, then the server span says 499 with a client-gone event and the exchange ends too', async () => {
    const before = fixture.upstream.seen.length;
    const request = http.request({
      host: '127.0.0.1',
      port: fixture.gateway.port,
      path: '/api/v1/products/hold',
      headers: client({ 'x-correlation-id': 'leaving-client' }),
      agent: false,
    });
    request.on('error', () => {});
    request.end();
    await waitFor(() => fixture.upstream.seen.length > before);
    request.destroy();
    await waitFor(() => fixture.gateway.logs.some((entry) => entry.correlationId === 'leaving-client'));
    const line = fixture.gateway.logs.find((entry) => entry.correlationId === 'leaving-client')!;
    expect(line.status).to.equal(499);
    const spans = await otlp.receiver.waitForSpans(2, (span) => span.traceId === line.trace_id);
    const server = serverSpan(spans);
    expect(server.events.map((event) => event.name)).to.deep.equal(['client gone']);
    expect(server.attributes).to.include({ 'http.response.status_code': 499 });
    expect(spans.find((span) => span.kind === SPAN_KIND.CLIENT)!.attributes).not.to.have.property(
      'http.response.status_code',
    );
  });
});
