import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { startGateway } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { closedPort } from '../helpers/upstream.js';

describe('health endpoints', () => {
  const fixture = useGateway({
    handler: (request, response) => {
      const ok = request.url === '/actuator/health' || request.url === '/health';
      response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      response.end(ok ? '{"status":"UP"}' : '{}');
    },
    env: async () => ({
      INVENTORY_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      REQUIRE_AUTH: 'true',
      RATE_LIMIT_MAX: '1',
    }),
  });

  it('when /health is asked, then 200 with status ok, the service name and an ISO timestamp, without auth', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/health' });
    expect(response.status).to.equal(200);
    const body = response.json<{ status: string; service: string; timestamp: string }>();
    expect(body.status).to.equal('ok');
    expect(body.service).to.equal('api-gateway');
    expect(new Date(body.timestamp).toISOString()).to.equal(body.timestamp);
  });

  it('when /health is asked many times, then it is never rate limited', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () => send({ port: fixture.gateway.port, path: '/health' }).then((r) => r.status)),
    );
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200]);
  });

  it('when /health/ready is asked while serving, then 200; once draining, then 503', async () => {
    const serving = await startGateway();
    try {
      expect((await send({ port: serving.port, path: '/health/ready' })).status).to.equal(200);
      serving.gateway.lifecycle.drain();
      expect((await send({ port: serving.port, path: '/health/ready' })).status).to.equal(503);
    } finally {
      await serving.close();
    }
  });

  it('when one service is down, then /health/services reports it unhealthy, the rest healthy, status degraded and 503', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/health/services' });
    expect(response.status).to.equal(503);
    const body = response.json<{ status: string; services: Array<{ name: string; status: string }> }>();
    expect(body.status).to.equal('degraded');
    expect(body.services.map((service) => [service.name, service.status])).to.deep.equal([
      ['auth-service', 'healthy'],
      ['user-service', 'healthy'],
      ['product-service', 'healthy'],
      ['inventory-service', 'unhealthy'],
    ]);
    expect(fixture.upstream.seen.map((seen) => seen.url)).to.include('/actuator/health');
  });

  it('when every service is up, then /health/services is 200 and ok', async () => {
    const all = await startGateway({
      AUTH_SERVICE_URL: fixture.upstream.url,
      USER_SERVICE_URL: fixture.upstream.url,
      PRODUCT_SERVICE_URL: fixture.upstream.url,
      INVENTORY_SERVICE_URL: fixture.upstream.url,
    });
    try {
      const response = await send({ port: all.port, path: '/health/services' });
      expect(response.status).to.equal(200);
      expect(response.json<{ status: string }>().status).to.equal('ok');
      expect(fixture.upstream.seen.map((seen) => seen.url)).to.include('/health');
    } finally {
      await all.close();
    }
  });

  it('when /info is asked, then it names the gateway, its version and services, and no internal URL', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/info' });
    expect(response.status).to.equal(200);
    const body = response.json<{ name: string; version: string; services: string[] }>();
    expect(body.name).to.equal('api-gateway');
    expect(body.version).to.match(/^\d+\.\d+\.\d+/);
    expect(body.services).to.deep.equal(['auth-service', 'user-service', 'product-service', 'inventory-service']);
    expect(response.text).not.to.include('127.0.0.1');
    expect(response.text).not.to.include('http://');
  });
});
