import http from 'node:http';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { allServicesAt, startGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import { rawExchange, type RawReply } from '../helpers/raw.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';
import { closedPort } from '../helpers/upstream.js';

const SHOP = 'https://shop.example';

/** Header fields of a raw reply, names lower-cased. */
function headersOf(reply: RawReply): Record<string, string> {
  const head = reply.text.slice(0, reply.text.indexOf('\r\n\r\n'));
  const fields: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** The CORS headers of an answer a script on SHOP may read. */
function expectReadableByShop(headers: http.IncomingHttpHeaders | Record<string, string>): void {
  expect(headers['access-control-allow-origin'], 'Access-Control-Allow-Origin').to.equal(SHOP);
  expect(headers['access-control-allow-credentials']).to.equal('true');
  expect(headers['access-control-expose-headers']).to.include('x-correlation-id').and.include('WWW-Authenticate');
  expect(headers.vary).to.include('Origin');
}

describe('CORS: preflights, exposed headers and same-origin pages', () => {
  const fixture = useGateway({ env: { CORS_ORIGINS: `${SHOP},http://localhost:3000` } });

  function preflight(headers: http.OutgoingHttpHeaders): Promise<TestResponse> {
    return send({
      port: fixture.gateway.port,
      method: 'OPTIONS',
      path: '/api/v1/products/1',
      headers: { 'access-control-request-method': 'PUT', ...headers },
    });
  }

  it('when an allowed origin sends a preflight, then the answer lets the browser keep it for 600 s', async () => {
    const response = await preflight({ origin: SHOP, 'access-control-request-headers': 'authorization' });
    expect(response.status).to.equal(204);
    expect(response.headers['access-control-max-age']).to.equal('600');
    expect(response.headers['access-control-allow-credentials']).to.equal('true');
    expect(response.headers.vary).to.equal('Origin');
  });

  it('when an allowed origin calls, then scripts may read the built-in list, WWW-Authenticate included', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/1', headers: { origin: SHOP } });
    expect(response.headers['access-control-expose-headers']).to.equal(
      'x-correlation-id,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Retry-After,WWW-Authenticate',
    );
  });

  const sameOrigin: Array<[what: string, headers: http.OutgoingHttpHeaders]> = [
    [
      'its Origin is the scheme and Host it addressed',
      { origin: 'http://gateway.test:8080', host: 'gateway.test:8080' },
    ],
    [
      'its Host names the default port its Origin leaves out',
      { origin: 'http://gateway.test', host: 'Gateway.Test:80' },
    ],
  ];
  for (const [what, headers] of sameOrigin) {
    it(`regression: a page on the gateway's own origin got 403 on its POSTs; when ${what}, then it is proxied`, async () => {
      const response = await send({
        port: fixture.gateway.port,
        method: 'POST',
        path: '/api/v1/products',
        headers,
        body: '{}',
      });
      expect(response.status).to.equal(200);
      expect(fixture.upstream.seen.at(-1)?.method).to.equal('POST');
      expect(response.headers).not.to.have.property('access-control-allow-origin');
    });
  }

  const crossOrigin: Array<[what: string, headers: http.OutgoingHttpHeaders]> = [
    ['its Origin has another host', { origin: 'http://evil.example', host: 'gateway.test' }],
    ['its Origin has another scheme', { origin: 'https://gateway.test', host: 'gateway.test' }],
    ['its Origin has another port', { origin: 'http://gateway.test:8081', host: 'gateway.test:8080' }],
    [
      'X-Forwarded-Host names its Origin but TRUST_PROXY is off',
      { origin: 'http://evil.example', host: 'gateway.test', 'x-forwarded-host': 'evil.example' },
    ],
    ['its Origin is opaque (null)', { origin: 'null', host: 'gateway.test' }],
  ];
  for (const [what, headers] of crossOrigin) {
    it(`when ${what}, then 403 and nothing is forwarded`, async () => {
      const before = fixture.upstream.seen.length;
      const response = await send({
        port: fixture.gateway.port,
        method: 'POST',
        path: '/api/v1/products',
        headers,
        body: '{}',
      });
      expect(response.status).to.equal(403);
      expect(fixture.upstream.seen.length).to.equal(before);
    });
  }
});

describe('CORS behind a trusted proxy, with configured max-age and exposed headers', () => {
  const fixture = useGateway({
    env: {
      CORS_ORIGINS: SHOP,
      TRUST_PROXY: 'true',
      CORS_MAX_AGE_S: '7200',
      CORS_EXPOSE_HEADERS: 'Location,ETag,x-correlation-id',
    },
  });

  it('when the proxy says the browser addressed https://api.shop.example and the Origin is that, then the request is same-origin and proxied', async () => {
    const response = await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products',
      headers: {
        origin: 'https://api.shop.example',
        host: 'gateway:4000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.shop.example',
      },
      body: '{}',
    });
    expect(response.status).to.equal(200);
  });

  it("when the forwarded scheme differs from the Origin's, then 403", async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products',
      headers: {
        origin: 'https://api.shop.example',
        host: 'gateway:4000',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'api.shop.example',
      },
    });
    expect(response.status).to.equal(403);
  });

  it('when CORS_MAX_AGE_S and CORS_EXPOSE_HEADERS are set, then preflights carry the max-age and the exposed list ends with the extra names, each once', async () => {
    const preflight = await send({
      port: fixture.gateway.port,
      method: 'OPTIONS',
      path: '/api/v1/products/1',
      headers: { origin: SHOP, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers['access-control-max-age']).to.equal('7200');
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/1', headers: { origin: SHOP } });
    expect(response.headers['access-control-expose-headers']).to.equal(
      'x-correlation-id,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Retry-After,WWW-Authenticate,Location,ETag',
    );
  });
});

describe('Cross-Origin-Resource-Policy', () => {
  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    if (request.url === '/products/1/image') response.setHeader('cross-origin-resource-policy', 'cross-origin');
    response.setHeader('content-type', 'image/png');
    response.end('png');
  };

  describe('with the default', () => {
    const fixture = useGateway({ handler });

    it("regression: helmet's same-origin replaced a service's cross-origin and blocked its images on the shop's pages; when the service sets one, then it is kept", async () => {
      const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/1/image' });
      expect(response.headers['cross-origin-resource-policy']).to.equal('cross-origin');
      expect(response.headers['x-content-type-options']).to.equal('nosniff');
    });

    it("when the service sets none, then the gateway's same-origin applies", async () => {
      const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
      expect(response.headers['cross-origin-resource-policy']).to.equal('same-origin');
    });
  });

  describe('with CROSS_ORIGIN_RESOURCE_POLICY=same-site', () => {
    const fixture = useGateway({ handler, env: { CROSS_ORIGIN_RESOURCE_POLICY: 'same-site' } });

    it("when the service sets none, or the gateway answers itself, then the configured value applies; a service's own still wins", async () => {
      const proxied = await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
      const own = await send({ port: fixture.gateway.port, path: '/nothing-here' });
      const image = await send({ port: fixture.gateway.port, path: '/api/v1/products/1/image' });
      expect([
        proxied.headers['cross-origin-resource-policy'],
        own.status,
        own.headers['cross-origin-resource-policy'],
        image.headers['cross-origin-resource-policy'],
      ]).to.deep.equal(['same-site', 404, 'same-site', 'cross-origin']);
    });
  });
});

describe('CORS headers on every answer the gateway gives an allowed origin', () => {
  const fixture = useGateway({
    env: async () => ({
      ...AUTH_ENV,
      CORS_ORIGINS: SHOP,
      RATE_LIMIT_AUTH_MAX: '1',
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      CIRCUIT_FAILURE_THRESHOLD: '1',
    }),
  });
  const fromShop = { origin: SHOP };

  it('when the token is missing (401), then the script can read the answer', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/users/me', headers: fromShop });
    expect(response.status).to.equal(401);
    expectReadableByShop(response.headers);
  });

  it('when no route matches (404), then the script can read the answer', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/nothing-here', headers: fromShop });
    expect(response.status).to.equal(404);
    expectReadableByShop(response.headers);
  });

  it('when the rate limit is spent (429), then the script can read the answer and its Retry-After', async () => {
    const login = {
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: fromShop,
      body: '{}',
    };
    await send(login);
    const response = await send(login);
    expect(response.status).to.equal(429);
    expectReadableByShop(response.headers);
    expect(response.headers['retry-after']).to.match(/^\d+$/);
  });

  it('when the service is down (502), then its circuit open (503), then the script can read both answers', async () => {
    const products = {
      port: fixture.gateway.port,
      path: '/api/v1/products',
      headers: { ...fromShop, authorization: `Bearer ${accessToken()}` },
    };
    const down = await send(products);
    const open = await send(products);
    expect([down.status, down.json<{ error: { code: string } }>().error.code]).to.deep.equal([
      502,
      'SERVICE_UNAVAILABLE',
    ]);
    expect([open.status, open.json<{ error: { code: string } }>().error.code]).to.deep.equal([503, 'CIRCUIT_OPEN']);
    expectReadableByShop(down.headers);
    expectReadableByShop(open.headers);
  });

  it('when the head is over 16 KiB (431 from the request guard), then the script can read the answer and the connection closes', async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/users/me',
      headers: { ...fromShop, cookie: `big=${'a'.repeat(20_000)}` },
    });
    expect(response.status).to.equal(431);
    expect(response.headers.connection).to.equal('close');
    expectReadableByShop(response.headers);
  });

  const refusedByTheParser: Array<[what: string, raw: string, status: number]> = [
    [
      "a head over the parser's 32 KiB (431)",
      `GET /api/v1/products/1 HTTP/1.1\r\nHost: gateway.test\r\nOrigin: ${SHOP}\r\nCookie: big=${'a'.repeat(40_000)}\r\n\r\n`,
      431,
    ],
    [
      'a header value with a control character (400)',
      `GET /api/v1/products/1 HTTP/1.1\r\nHost: gateway.test\r\nOrigin: ${SHOP}\r\nX-Bad: a\x01b\r\n\r\n`,
      400,
    ],
  ];
  for (const [what, raw, status] of refusedByTheParser) {
    it(`regression: the parser's refusals had no CORS headers; when Node's parser refuses ${what}, then the script can read the answer`, async () => {
      const reply = await rawExchange(fixture.gateway.port, raw, { timeoutMs: 3000 });
      expect(reply.status).to.equal(status);
      expectReadableByShop(headersOf(reply));
    });
  }

  it("when Node's parser refuses a request from another origin, then its answer has no CORS headers", async () => {
    const reply = await rawExchange(
      fixture.gateway.port,
      `GET /api/v1/products/1 HTTP/1.1\r\nHost: gateway.test\r\nOrigin: https://evil.example\r\nX-Bad: a\x01b\r\n\r\n`,
      { timeoutMs: 3000 },
    );
    expect(reply.status).to.equal(400);
    expect(headersOf(reply)).not.to.have.property('access-control-allow-origin');
  });

  it('regression: the drain layer ran before CORS; when a kept-alive request arrives while draining (503 SHUTTING_DOWN), then the script can read the answer', async () => {
    const draining = await startGateway({ ...allServicesAt(fixture.upstream.url), CORS_ORIGINS: SHOP });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send({ port: draining.port, path: '/health', headers: fromShop, agent })).status).to.equal(200);
      draining.gateway.lifecycle.drain();
      const response = await send({ port: draining.port, path: '/api/v1/products/1', headers: fromShop, agent });
      expect([response.status, response.json<{ error: { code: string } }>().error.code]).to.deep.equal([
        503,
        'SHUTTING_DOWN',
      ]);
      expectReadableByShop(response.headers);
    } finally {
      agent.destroy();
      await draining.close();
    }
  });
});
