import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { closingOnSecondRequest } from '../helpers/upstream.js';

describe('a kept-alive upstream socket closed under a request', () => {
  const fixture = useGateway({
    handler: closingOnSecondRequest((request, response) => {
      response.end(JSON.stringify({ method: request.method, url: request.url }));
    }),
  });

  it('when an idempotent request fails on the reused socket before any response, then it is sent once more and succeeds', async () => {
    expect((await send({ port: fixture.gateway.port, path: '/api/v1/products/1' })).status).to.equal(200);
    const before = fixture.upstream.seen.length;
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/2' });
    expect(response.status).to.equal(200);
    expect(response.json()).to.deep.equal({ method: 'GET', url: '/products/2' });
    expect(fixture.upstream.seen.length - before).to.equal(2);
  });

  it('when a POST fails on the reused socket, then it is not sent again and the client gets 502', async () => {
    expect((await send({ port: fixture.gateway.port, path: '/api/v1/products/3' })).status).to.equal(200);
    const before = fixture.upstream.seen.length;
    const response = await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).to.equal(502);
    expect(response.json<{ error: { code: string } }>().error.code).to.equal('SERVICE_UNAVAILABLE');
    expect(fixture.upstream.seen.length - before).to.equal(1);
  });

  it('when a DELETE without a body fails on the reused socket, then it is retried once', async () => {
    await send({ port: fixture.gateway.port, path: '/api/v1/products/4' });
    const response = await send({ port: fixture.gateway.port, method: 'DELETE', path: '/api/v1/products/4' });
    expect(response.status).to.equal(200);
  });
});
