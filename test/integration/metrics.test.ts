import { expect } from 'chai';
import { useGateway, useMetricsServer } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { closedPort } from '../helpers/upstream.js';

/** The value of one sample line of a Prometheus text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus metrics', () => {
  const fixture = useGateway({
    env: async () => ({ INVENTORY_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`, RATE_LIMIT_MAX: '4' }),
  });
  const metrics = useMetricsServer(fixture);

  it('when requests have been served, failed and limited, then the scrape counts each by route, method, status, service and code', async () => {
    await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
    await send({ port: fixture.gateway.port, path: '/api/v1/products/2' });
    await send({ port: fixture.gateway.port, path: '/api/v1/inventory/sku-1' });
    await send({ port: fixture.gateway.port, path: '/api/v1/nothing' });
    await send({ port: fixture.gateway.port, path: '/api/v1/products/3' });
    await send({ port: fixture.gateway.port, path: '/health' });
    const scrape = await send({ port: metrics.port, path: '/metrics' });
    expect(scrape.status).to.equal(200);
    const text = scrape.text;
    expect(sample(text, 'gateway_http_requests_total{route="/api/v1/products",method="GET",status="200"}')).to.equal(2);
    expect(sample(text, 'gateway_http_requests_total{route="/api/v1/inventory",method="GET",status="502"}')).to.equal(
      1,
    );
    expect(sample(text, 'gateway_http_requests_total{route="unmatched",method="GET",status="404"}')).to.equal(1);
    expect(sample(text, 'gateway_http_requests_total{route="/api/v1/products",method="GET",status="429"}')).to.equal(1);
    expect(sample(text, 'gateway_http_requests_total{route="/health",method="GET",status="200"}')).to.equal(1);
    expect(
      sample(text, 'gateway_http_request_duration_seconds_count{route="/api/v1/products",method="GET",status="200"}'),
    ).to.equal(2);
    expect(
      sample(text, 'gateway_upstream_errors_total{service="inventory-service",code="SERVICE_UNAVAILABLE"}'),
    ).to.equal(1);
    expect(sample(text, 'gateway_rate_limited_total{limit="ip"}')).to.equal(1);
    expect(sample(text, 'gateway_rate_limited_total{limit="user"}')).to.equal(0);
    expect(sample(text, 'gateway_rate_limiter_store{store="memory"}')).to.equal(1);
    expect(sample(text, 'gateway_rate_limiter_store{store="redis"}')).to.equal(0);
    expect(text).to.match(/^process_cpu_user_seconds_total /m);
    expect(text).to.match(/^nodejs_heap_size_used_bytes /m);
  });

  it('when anything but GET /metrics is asked of the metrics listener, then 404', async () => {
    expect((await send({ port: metrics.port, path: '/' })).status).to.equal(404);
  });
});

describe('metrics listener of the built gateway', function () {
  this.timeout(20_000);

  afterEach(async () => {
    await killSpawnedGateways();
  });

  it('when METRICS_PORT is set, then /metrics is served there and not on the public port', async () => {
    const metricsPort = await closedPort();
    const gateway = await spawnGateway({ METRICS_PORT: String(metricsPort) });
    const scrape = await send({ port: metricsPort, path: '/metrics' });
    expect(scrape.status).to.equal(200);
    expect(scrape.text).to.include('gateway_http_requests_total');
    const publicPort = await send({ port: gateway.port, path: '/metrics' });
    expect(publicPort.status).to.equal(404);
    expect(publicPort.json<{ error: { code: string } }>().error.code).to.equal('NOT_FOUND');
  });

  it('when METRICS_PORT=0, then no metrics listener is started', async () => {
    const gateway = await spawnGateway({ METRICS_PORT: '0' });
    expect(gateway.logs.some((line) => line.msg === 'metrics listening on /metrics')).to.equal(false);
  });
});
