import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';

describe('forwarding through the whole onion (real sockets)', () => {
  const fixture = useGateway();

  // Each test reads what the upstream saw of its own requests.
  beforeEach(() => {
    fixture.upstream.seen.splice(0);
  });

  it('when a client asks for a product, then the upstream sees the rewritten path and the client its answer', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/123?x=1' });
    expect(response.status).to.equal(200);
    expect(response.json()).to.deep.equal({ method: 'GET', url: '/products/123?x=1', body: '' });
    expect(fixture.upstream.seen).to.have.length(1);
  });

  it('when the query has characters URL parsers re-encode, then it reaches the upstream byte for byte', async () => {
    const target = `/api/v1/products/search?q="a b"&t=<x>&u='y'&v={}&w=%zz&&`.replace(' ', '%20');
    await send({ port: fixture.gateway.port, path: target });
    expect(fixture.upstream.seen[0]?.url).to.equal(target.replace('/api/v1/products', '/products'));
  });

  it('when the prefix is the whole path or has a trailing slash or empty query, then the rest is kept as is', async () => {
    await send({ port: fixture.gateway.port, path: '/api/v1/inventory' });
    await send({ port: fixture.gateway.port, path: '/api/v1/inventory/' });
    await send({ port: fixture.gateway.port, path: '/api/v1/inventory?' });
    expect(fixture.upstream.seen.map((seen) => seen.url)).to.deep.equal(['/inventory', '/inventory/', '/inventory?']);
  });

  it('when a path only starts like a prefix, then it is not routed (segment match)', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/productsX/1' });
    expect(response.status).to.equal(404);
    expect(response.json()).to.deep.include({ success: false });
    expect(fixture.upstream.seen).to.have.length(0);
  });

  it('when a JSON body is posted, then the upstream receives it intact with its length and type', async () => {
    const body = JSON.stringify({ name: 'Tea', price: 3.5, tags: ['green', 'ünïcode'] });
    const response = await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      body,
    });
    expect(response.status).to.equal(200);
    const seen = fixture.upstream.seen[0]!;
    expect(seen.method).to.equal('POST');
    expect(seen.body.toString('utf8')).to.equal(body);
    expect(seen.headers['content-type']).to.equal('application/json');
    expect(seen.headers['content-length']).to.equal(String(Buffer.byteLength(body)));
  });

  it('when forwarding, then Host is the upstream, X-Forwarded-* describe the client, and the correlation id goes along', async () => {
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/users/me',
      headers: { host: 'shop.example', 'x-correlation-id': 'abc-123', 'x-forwarded-for': '6.6.6.6' },
    });
    const { headers } = fixture.upstream.seen[0]!;
    expect(headers.host).to.equal(`127.0.0.1:${fixture.upstream.port}`);
    expect(headers['x-forwarded-for']).to.equal('127.0.0.1');
    expect(headers['x-forwarded-host']).to.equal('shop.example');
    expect(headers['x-forwarded-proto']).to.equal('http');
    expect(headers['x-correlation-id']).to.equal('abc-123');
    expect(headers['x-request-id']).to.equal('abc-123');
  });

  it('when the client sends no User-Agent, then the upstream gets none (regression: got added its own)', async () => {
    await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
    expect(fixture.upstream.seen[0]?.headers).not.to.have.property('user-agent');
  });

  it('when the client sends hop-by-hop headers and x-user-*, then none reach the upstream', async () => {
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/users/me',
      headers: {
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        upgrade: 'websocket',
        'x-user-id': '1',
        'x-user-role': 'ADMIN',
        'x-end-to-end': 'kept',
      },
    });
    const { headers } = fixture.upstream.seen[0]!;
    for (const name of [
      'x-secret-hop',
      'keep-alive',
      'te',
      'proxy-authorization',
      'upgrade',
      'x-user-id',
      'x-user-role',
    ]) {
      expect(headers, name).not.to.have.property(name);
    }
    expect(headers['x-end-to-end']).to.equal('kept');
  });
});

describe('upstream responses pass through', () => {
  const gzipped = gzipSync(Buffer.from(JSON.stringify({ ok: true, pad: 'x'.repeat(2000) })));
  const fixture = useGateway({
    handler: (request, response) => {
      switch (request.url) {
        case '/products/missing':
          response.writeHead(404, { 'content-type': 'application/json', 'x-upstream': 'yes' });
          response.end('{"error":"no such product"}');
          return;
        case '/products/broken':
          response.writeHead(500, { 'content-type': 'text/html' });
          response.end('<h1>upstream stack trace</h1>');
          return;
        case '/products/cookies':
          response.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
          response.end('ok');
          return;
        case '/products/gzip':
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            'content-length': gzipped.length,
          });
          response.end(gzipped);
          return;
        case '/products/headers':
          response.writeHead(200, {
            connection: 'keep-alive, x-hop',
            'x-hop': 'secret',
            'keep-alive': 'timeout=5',
            'x-frame-options': 'SAMEORIGIN',
            'access-control-allow-origin': '*',
            'x-powered-by': 'Express',
            vary: 'Accept-Encoding',
            'cache-control': 'max-age=60',
          });
          response.end('ok');
          return;
        case '/products/empty':
          response.writeHead(204);
          response.end();
          return;
        default:
          response.end('default');
      }
    },
  });

  it('when the upstream answers 404, then status, body and headers reach the client untouched', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/missing' });
    expect(response.status).to.equal(404);
    expect(response.text).to.equal('{"error":"no such product"}');
    expect(response.headers['x-upstream']).to.equal('yes');
  });

  it('when the upstream answers 500 with HTML, then it passes through as the upstream wrote it', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/broken' });
    expect(response.status).to.equal(500);
    expect(response.headers['content-type']).to.equal('text/html');
    expect(response.text).to.equal('<h1>upstream stack trace</h1>');
  });

  it('when the upstream sets two cookies, then the client gets two Set-Cookie headers', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/cookies' });
    expect(response.headers['set-cookie']).to.deep.equal(['a=1; Path=/', 'b=2; HttpOnly']);
  });

  it('when the upstream body is gzip-encoded, then the bytes and Content-Encoding reach the client unchanged', async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/gzip',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(response.headers['content-encoding']).to.equal('gzip');
    expect(response.headers['content-length']).to.equal(String(gzipped.length));
    expect(response.body.equals(gzipped)).to.equal(true);
  });

  it('when the upstream sends hop-by-hop, CORS and security headers, then ours stay and theirs are dropped', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/headers' });
    expect(response.headers).not.to.have.property('x-hop');
    expect(response.headers).not.to.have.property('access-control-allow-origin');
    expect(response.headers).not.to.have.property('x-powered-by');
    expect(response.headers['x-frame-options']).to.equal('DENY');
    expect(response.headers['x-content-type-options']).to.equal('nosniff');
    expect(response.headers['x-xss-protection']).to.equal('0');
    expect(response.headers['cache-control']).to.equal('max-age=60');
    expect(response.headers.vary).to.include('Accept-Encoding');
  });

  it('when the upstream answers 204, then the client gets 204 with no body', async () => {
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/empty' });
    expect(response.status).to.equal(204);
    expect(response.body.length).to.equal(0);
  });

  it('when the client sends HEAD, then it gets the headers and no body', async () => {
    const response = await send({ port: fixture.gateway.port, method: 'HEAD', path: '/api/v1/products/gzip' });
    expect(response.status).to.equal(200);
    expect(response.headers['content-length']).to.equal(String(gzipped.length));
    expect(response.body.length).to.equal(0);
  });
});
