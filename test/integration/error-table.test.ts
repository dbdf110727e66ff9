import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { allServicesAt, startGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import { closedPort, startUpstream } from '../helpers/upstream.js';

/** Asserts the contract's envelope, with the correlation id of the response header. */
function expectEnvelope(response: TestResponse, status: number, code: string): void {
  expect(response.status).to.equal(status);
  expect(response.headers['content-type']).to.match(/^application\/json/);
  const body = response.json<{ success: boolean; error: { code: string; message: string; correlationId: string } }>();
  expect(body.success).to.equal(false);
  expect(body.error.code).to.equal(code);
  expect(body.error.correlationId).to.be.a('string').and.equal(response.headers['x-correlation-id']);
  expect(response.text).not.to.match(/at .*\.(ts|js):\d+/);
}

describe('error envelope: one test per row of the error table', () => {
  const fixture = useGateway({
    handler: (request, response) => {
      if (request.url === '/products/reset') {
        request.socket.destroy();
        return;
      }
      response.end('ok');
    },
    env: { MAX_BODY_BYTES: '1024' },
  });

  for (const target of [
    '/api/v1/auth/../products/1',
    '/api/v1/auth/%2e%2e/products/1',
    '/api/v1/auth/.%2E/products/1',
    '/api/v1/products/..;/admin',
    '/api/v1/products/a%2fb',
    '/api/v1/products/a%5Cb',
    '/api/v1/products/a\\b',
    '/api/v1/products/./1',
  ]) {
    it(`when the path is unsafe (${target}), then 400 BAD_REQUEST and nothing is forwarded`, async () => {
      const before = fixture.upstream.seen.length;
      const response = await send({ port: fixture.gateway.port, path: target });
      expectEnvelope(response, 400, 'BAD_REQUEST');
      expect(fixture.upstream.seen.length).to.equal(before);
    });
  }

  it('when the Origin is not in CORS_ORIGINS, then 403 FORBIDDEN with no CORS headers and nothing forwarded', async () => {
    const before = fixture.upstream.seen.length;
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { origin: 'https://evil.example' },
    });
    expectEnvelope(response, 403, 'FORBIDDEN');
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).to.deep.equal([]);
    expect(fixture.upstream.seen.length).to.equal(before);
  });

  it('when no route matches, then 404 NOT_FOUND "Route not found"', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v2/nothing' });
    expectEnvelope(response, 404, 'NOT_FOUND');
    expect(response.json<{ error: { message: string } }>().error.message).to.equal('Route not found');
  });

  it('when Content-Length is over MAX_BODY_BYTES, then 413 before the upstream is contacted', async () => {
    const before = fixture.upstream.seen.length;
    const response = await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(2048, 1),
    });
    expectEnvelope(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(fixture.upstream.seen.length).to.equal(before);
  });

  it('when a chunked body grows past MAX_BODY_BYTES while streaming, then 413', async () => {
    const response = await chunkedPost(fixture.gateway.port, '/api/v1/products', [
      Buffer.alloc(600, 1),
      Buffer.alloc(600, 2),
    ]);
    expectEnvelope(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('when the upstream refuses the connection, then 502 SERVICE_UNAVAILABLE naming the service', async () => {
    const refusing = await startGateway({ PRODUCT_SERVICE_URL: `http://127.0.0.1:${await closedPort()}` });
    try {
      const response = await send({ port: refusing.port, path: '/api/v1/products/1' });
      expectEnvelope(response, 502, 'SERVICE_UNAVAILABLE');
      expect(response.json<{ error: { message: string } }>().error.message).to.equal(
        'Service product-service is unavailable',
      );
    } finally {
      await refusing.close();
    }
  });

  it('when the upstream resets the connection before answering, then 502 SERVICE_UNAVAILABLE', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/reset' });
    expectEnvelope(response, 502, 'SERVICE_UNAVAILABLE');
  });

  it('when the upstream sends no headers within the service timeout, then 502 SERVICE_TIMEOUT near that time', async () => {
    const silent = await startUpstream(() => {}, { streaming: true });
    const slow = await startGateway({ PRODUCT_SERVICE_URL: silent.url, PRODUCT_SERVICE_TIMEOUT_MS: '300' });
    try {
      const started = Date.now();
      const response = await send({ port: slow.port, path: '/api/v1/products/1' });
      const elapsed = Date.now() - started;
      expectEnvelope(response, 502, 'SERVICE_TIMEOUT');
      expect(elapsed).to.be.within(250, 3000);
    } finally {
      await slow.close();
      await silent.close();
    }
  });

  it('when the gateway is draining, then a request on a kept-alive connection gets 503 SHUTTING_DOWN and Connection: close', async () => {
    const draining = await startGateway(allServicesAt(fixture.upstream.url));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send({ port: draining.port, path: '/api/v1/products/1', agent })).status).to.equal(200);
      draining.gateway.lifecycle.drain();
      const response = await send({ port: draining.port, path: '/api/v1/products/1', agent });
      expectEnvelope(response, 503, 'SHUTTING_DOWN');
      expect(response.headers.connection).to.equal('close');
    } finally {
      agent.destroy();
      await draining.close();
    }
  });
});

/** POSTs `chunks` with Transfer-Encoding: chunked over a raw socket and reads the response. */
function chunkedPost(port: number, path: string, chunks: Buffer[]): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(received).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const text = rest.join('\r\n\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        rawHeaders: [],
        body: Buffer.from(text),
        text,
        json: <T>() => JSON.parse(text) as T,
      });
    });
    socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`);
    for (const chunk of chunks) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
    socket.end('0\r\n\r\n');
  });
}

describe('requests the HTTP parser refuses', () => {
  const fixture = useGateway();

  it('when a header value is malformed, then 400 BAD_REQUEST as a JSON envelope', async () => {
    const response = await rawRequest(
      fixture.gateway.port,
      'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    );
    expect(response).to.match(/^HTTP\/1\.1 400 /);
    expect(response).to.include('"code":"BAD_REQUEST"');
    expect(response).to.match(/x-correlation-id: [0-9a-f-]{36}/);
  });

  it('regression: when a request has more than 100 header lines (Node would keep 2000, Tomcat refuses past 100), then 431 as JSON', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const response = await rawRequest(
      fixture.gateway.port,
      `GET /health HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n`,
    );
    expect(response).to.match(/^HTTP\/1\.1 431 /);
    expect(response).to.include('"code":"REQUEST_HEADER_FIELDS_TOO_LARGE"');
    const fine = Array.from({ length: 90 }, (_, i) => `X-H${i}: v\r\n`).join('');
    expect(
      await rawRequest(fixture.gateway.port, `GET /health HTTP/1.1\r\nHost: x\r\n${fine}Connection: close\r\n\r\n`),
    ).to.match(/^HTTP\/1\.1 200 /);
  });

  it('regression: when a request has two Host headers, then 400 as JSON (RFC 9112 §3.2)', async () => {
    const response = await rawRequest(
      fixture.gateway.port,
      'GET /health HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n',
    );
    expect(response).to.match(/^HTTP\/1\.1 400 /);
    expect(response).to.include('"code":"BAD_REQUEST"');
  });

  it('when the headers are larger than the server accepts, then 431 as a JSON envelope', async () => {
    const response = await rawRequest(
      fixture.gateway.port,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(response).to.match(/^HTTP\/1\.1 431 /);
    expect(response).to.include('"code":"REQUEST_HEADER_FIELDS_TOO_LARGE"');
  });
});

/** Writes `raw` on a fresh socket and reads until the server closes it. */
function rawRequest(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
    socket.write(raw);
  });
}
