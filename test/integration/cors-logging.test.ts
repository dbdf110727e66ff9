import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';
import { waitFor } from '../helpers/wait.js';
import { refusedWebSocket } from '../helpers/websocket.js';

describe('CORS', () => {
  const fixture = useGateway({ env: { CORS_ORIGINS: 'https://shop.example,http://localhost:3000' } });

  it('when an allowed origin calls, then the proxied response carries credentialed CORS headers for that origin', async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { origin: 'https://shop.example' },
    });
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
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization,content-type',
      },
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
    const started = performance.now();
    await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products?access_token=secret-in-query',
      headers: { authorization: `Bearer ${token}`, cookie: 'session=secret-cookie', 'x-correlation-id': 'log-test-1' },
      body: '{}',
    });
    await waitFor(() =>
      fixture.gateway.logs.some((line) => line.correlationId === 'log-test-1' && line.msg === 'request completed'),
    );
    const elapsedMs = performance.now() - started;
    const lines = fixture.gateway.logs.filter((line) => line.correlationId === 'log-test-1');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({
      method: 'POST',
      path: '/api/v1/products',
      status: 201,
      service: 'product-service',
      upstreamStatus: 201,
    });
    // The gateway's time for the request lies within the client's: a unit slip (seconds, microseconds) falls outside.
    expect(lines[0]!.durationMs).to.be.above(0).and.at.most(Math.ceil(elapsedMs));
    expect(lines[0]!.bytes).to.be.above(8);
    expect(JSON.stringify(fixture.gateway.logs)).not.to.match(/secret-(cookie|in-query)/);
    expect(JSON.stringify(fixture.gateway.logs)).not.to.include(token.split('.')[2]);
  });
});

describe('request log of a refused WebSocket handshake', () => {
  const fixture = useGateway({ env: { ...AUTH_ENV, CORS_ORIGINS: 'https://shop.example' } });

  /** The request line of the handshake the gateway answered with `correlationId`. */
  async function lineOf(correlationId: string | string[] | undefined): Promise<Record<string, unknown>> {
    expect(correlationId).to.be.a('string');
    await waitFor(() =>
      fixture.gateway.logs.some((line) => line.correlationId === correlationId && line.msg === 'request completed'),
    );
    return fixture.gateway.logs.find(
      (line) => line.correlationId === correlationId && line.msg === 'request completed',
    )!;
  }

  it("when a browser's handshake is refused for its token, then its request line has the correlation id, the reason and that it was a WebSocket, and the auth line why; never the token", async () => {
    const expired = accessToken({ exp: 1 });
    const answer = await refusedWebSocket(
      `ws://127.0.0.1:${fixture.gateway.port}/api/v1/products/live?access_token=${expired}`,
      { origin: 'https://shop.example' },
    );
    expect(answer.status).to.equal(401);
    const line = await lineOf(answer.headers['x-correlation-id']);
    expect(line).to.include({ path: '/api/v1/products/live', status: 401, errorCode: 'UNAUTHORIZED', websocket: true });
    expect(line.reason).to.equal('Invalid token');
    const why = fixture.gateway.logs.find(
      (entry) => entry.correlationId === line.correlationId && entry.msg === 'authentication refused',
    );
    expect(why?.reason).to.equal('jwt expired');
    expect(JSON.stringify(fixture.gateway.logs)).not.to.include(expired.split('.')[2]);
  });

  it('when a handshake is refused for its Origin, then the request line says FORBIDDEN with the reason', async () => {
    const answer = await refusedWebSocket(
      `ws://127.0.0.1:${fixture.gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
      { origin: 'https://evil.example' },
    );
    expect(answer.status).to.equal(403);
    expect(await lineOf(answer.headers['x-correlation-id'])).to.include({
      status: 403,
      errorCode: 'FORBIDDEN',
      reason: 'Origin not allowed',
      websocket: true,
    });
  });

  it('when an ordinary request succeeds, then its line has no reason and no WebSocket mark', async () => {
    const response = await send({ port: fixture.gateway.port, method: 'POST', path: '/api/v1/auth/login', body: '{}' });
    const line = await lineOf(response.headers['x-correlation-id']);
    expect(line.status).to.equal(200);
    expect(line).not.to.have.any.keys('errorCode', 'reason', 'websocket');
  });
});
