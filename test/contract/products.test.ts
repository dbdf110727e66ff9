import { expect } from 'chai';
import { send } from '../helpers/http.js';
import { clientHeaders, expectDownstream, expectRelayed, jsonRequest, upstreamReplyHeaders } from './exchange.js';
import { intercept, record, UPSTREAMS, useContractGateway } from './harness.js';
import { expectUnderscoredDropped } from './underscores.js';
import { expectRefusedUnsafe, unsafePaths } from './unsafe-paths.js';

describe('contract: product-service (/api/v1/products → /products)', () => {
  const harness = useContractGateway();

  it('when a client asks for a product, then product-service sees GET /products/123 and the client gets the product', async () => {
    const answer = '{"id":123,"name":"Green tea","price":3.5}';
    const scope = intercept(UPSTREAMS.products)
      .get('/products/123')
      .reply(
        200,
        answer,
        upstreamReplyHeaders({ 'content-type': 'application/json', 'cache-control': 'max-age=60', 'x-catalog': 'eu' }),
      );
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      path: '/api/v1/products/123',
      headers: clientHeaders('products-get-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.products,
      method: 'GET',
      path: '/products/123',
      correlationId: 'products-get-1',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'products-get-1',
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60', 'x-catalog': 'eu' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client lists products with paging on the bare prefix, then product-service sees GET /products with the query', async () => {
    const answer = '{"content":[],"page":2,"size":10}';
    const scope = intercept(UPSTREAMS.products)
      .get('/products')
      .query({ page: '2', size: '10', sort: 'name,asc' })
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-total-count': '10' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      path: '/api/v1/products?page=2&size=10&sort=name,asc',
      headers: clientHeaders('products-list-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.products,
      method: 'GET',
      path: '/products?page=2&size=10&sort=name,asc',
      correlationId: 'products-list-1',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'products-list-1',
      headers: { 'content-type': 'application/json', 'x-total-count': '10' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client creates a product, then product-service sees POST /products with the exact body and the client gets 201 with Location', async () => {
    const product = jsonRequest({ name: 'Matcha „premium“', price: 12.9, tags: ['green', 'ünïcode', '日本'] });
    const answer = '{"id":124}';
    const scope = intercept(UPSTREAMS.products)
      .post('/products')
      .reply(201, answer, upstreamReplyHeaders({ 'content-type': 'application/json', location: '/products/124' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'POST',
      path: '/api/v1/products',
      headers: clientHeaders('products-post-1', product.headers, 'admin'),
      body: product.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.products,
      method: 'POST',
      path: '/products',
      correlationId: 'products-post-1',
      json: product,
      caller: 'admin',
    });
    expectRelayed(response, {
      status: 201,
      body: answer,
      correlationId: 'products-post-1',
      headers: { 'content-type': 'application/json', location: '/products/124' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client updates a product, then product-service sees PUT /products/123 with the exact body and the client gets its answer', async () => {
    const product = jsonRequest({ id: 123, name: 'Green tea', price: 3.75, stock: { warehouse: 'Köln', count: 0 } });
    const answer = '{"id":123,"price":3.75}';
    const scope = intercept(UPSTREAMS.products)
      .put('/products/123')
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-product-version': '8' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'PUT',
      path: '/api/v1/products/123',
      headers: clientHeaders('products-put-1', product.headers, 'admin'),
      body: product.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.products,
      method: 'PUT',
      path: '/products/123',
      correlationId: 'products-put-1',
      json: product,
      caller: 'admin',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'products-put-1',
      headers: { 'content-type': 'application/json', 'x-product-version': '8' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client deletes a product, then product-service sees DELETE /products/123 and the client gets its 204', async () => {
    const scope = intercept(UPSTREAMS.products)
      .delete('/products/123')
      .reply(204, '', upstreamReplyHeaders({ 'x-product-deleted': '123' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'DELETE',
      path: '/api/v1/products/123',
      headers: clientHeaders('products-delete-1', {}, 'admin'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.products,
      method: 'DELETE',
      path: '/products/123',
      correlationId: 'products-delete-1',
      caller: 'admin',
    });
    expectRelayed(response, {
      status: 204,
      body: '',
      correlationId: 'products-delete-1',
      headers: { 'x-product-deleted': '123' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client sends x_user_id and x_forwarded_for, then product-service sees no header with `_` and x-user-id comes from the token', async () => {
    await expectUnderscoredDropped(harness, {
      upstream: UPSTREAMS.products,
      gatewayPath: '/api/v1/products/123',
      path: '/products/123',
    });
  });

  for (const { target, reaches } of unsafePaths('/api/v1/products', '/api/v1/users')) {
    it(`when ${target} is sent raw (it would reach ${reaches}), then 400 BAD_REQUEST and no service sees a request`, async () => {
      await expectRefusedUnsafe(harness, target, UPSTREAMS.users, '/users/1');
    });
  }
});
