import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';
import { waitFor } from '../helpers/wait.js';

describe('CORS', () => {
  const fixture = useGateway({ env: { CORS_ORIGINS: 'https://shop.example,http://localhost:3000' } });

  it('when an allowed origin calls, then the proxied response carries credentialed CORS headers for that origin', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/1', headers: { origin: 'https://shop.example' } });
    expect(response.status).to.equal(200);
    expect(response.headers['access-control-allow-origin']).to.equal('https://shop.example');
    expect(response.headers['access-control-allow-credentials']).to.equal('true');
    expect(response.headers['access-control-expose-headers']).to.include('x-correlation-id');
    expect(response.headers.vary).to.include('Origin');
  });

  it('when an allowed origin sends a preflight, then the gateway answers 204 itself and nothing is forwarded', async () => {
    const before = fixture.upstream.seen.length;
    const response = await send({
      port: fixture.gateway.port,
      method: 'OPTIONS',
      path: '/api/v1/products/1',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(response.status).to.equal(204);
    expect(response.headers['access-control-allow-origin']).to.equal('http://localhost:3000');
    expect(response.headers['access-control-allow-methods']).to.include('PUT');
    expect(response.headers['access-control-allow-headers']).to.equal('authorization,content-type');
    expect(fixture.upstream.seen.length).to.equal(before);
  });

  it('when a disallowed origin sends a preflight, then 403 and no CORS headers', async () => {
    const response = await send({
      port: fixture.gateway.port,
      method: 'OPTIONS',
      path: '/api/v1/products/1',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
    });
    expect(response.status).to.equal(403);
    expect(response.headers).not.to.have.property('access-control-allow-origin');
  });
});

describe('request log', () => {
  const fixture = useGateway({
    handler: (_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{"id":7}');
    },
    env: AUTH_ENV,
  });

  it('when a request completes, then exactly one JSON line records it, with no token, cookie or query', async () => {
    // An admin: creating a product is ADMIN-only in the gateway file.
    const token = accessToken({ role: 'ADMIN' });
    await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products?access_token=secret-in-query',
      headers: { authorization: `Bearer ${token}`, cookie: 'session=secret-cookie', 'x-correlation-id': 'log-test-1' },
      body: '{}',
    });
    await waitFor(() => fixture.gateway.logs.some((line) => line.correlationId === 'log-test-1' && line.msg === 'request completed'));
    const lines = fixture.gateway.logs.filter((line) => line.correlationId === 'log-test-1');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({
      method: 'POST',
      path: '/api/v1/products',
      status: 201,
      service: 'product-service',
      upstreamStatus: 201,
    });
    expect(lines[0]!.durationMs).to.be.a('number');
    expect(lines[0]!.bytes).to.be.above(8);
    expect(JSON.stringify(fixture.gateway.logs)).not.to.match(/secret-(cookie|in-query)/);
    expect(JSON.stringify(fixture.gateway.logs)).not.to.include(token.split('.')[2]);
  });
});
