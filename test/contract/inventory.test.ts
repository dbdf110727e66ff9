import { expect } from 'chai';
import { send } from '../helpers/http.js';
import { clientHeaders, expectDownstream, expectRelayed, jsonRequest, upstreamReplyHeaders } from './exchange.js';
import { intercept, record, UPSTREAMS, useContractGateway } from './harness.js';
import { expectUnderscoredDropped } from './underscores.js';
import { expectRefusedUnsafe, unsafePaths } from './unsafe-paths.js';

describe('contract: inventory-service (/api/v1/inventory → /inventory)', () => {
  const harness = useContractGateway();

  it("when a client asks for a SKU's stock, then inventory-service sees GET /inventory/sku-1 and the client gets the stock", async () => {
    const answer = '{"sku":"sku-1","available":17,"reserved":3}';
    const scope = intercept(UPSTREAMS.inventory)
      .get('/inventory/sku-1')
      .reply(
        200,
        answer,
        upstreamReplyHeaders({ 'content-type': 'application/json', 'x-stock-source': 'warehouse-eu' }),
      );
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      path: '/api/v1/inventory/sku-1',
      headers: clientHeaders('inventory-get-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.inventory,
      method: 'GET',
      path: '/inventory/sku-1',
      correlationId: 'inventory-get-1',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'inventory-get-1',
      headers: { 'content-type': 'application/json', 'x-stock-source': 'warehouse-eu' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client adjusts stock, then inventory-service sees PATCH /inventory/sku-1 with the exact body and the client gets its answer', async () => {
    const adjustment = jsonRequest({ delta: -2, reason: 'damaged in transit — Lager Süd' });
    const answer = '{"sku":"sku-1","available":15}';
    const scope = intercept(UPSTREAMS.inventory)
      .patch('/inventory/sku-1')
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-stock-version': '42' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'PATCH',
      path: '/api/v1/inventory/sku-1',
      headers: clientHeaders('inventory-patch-1', adjustment.headers),
      body: adjustment.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.inventory,
      method: 'PATCH',
      path: '/inventory/sku-1',
      correlationId: 'inventory-patch-1',
      json: adjustment,
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'inventory-patch-1',
      headers: { 'content-type': 'application/json', 'x-stock-version': '42' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client reserves stock it does not have, then inventory-service sees POST /inventory/sku-1/reservations with the exact body and the client gets the 409 untouched', async () => {
    const reservation = jsonRequest({ orderId: 'o-77', quantity: 100 });
    const answer = '{"error":"INSUFFICIENT_STOCK","available":17}';
    const scope = intercept(UPSTREAMS.inventory)
      .post('/inventory/sku-1/reservations')
      .reply(409, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-stock-available': '17' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'POST',
      path: '/api/v1/inventory/sku-1/reservations',
      headers: clientHeaders('inventory-reserve-1', reservation.headers, 'admin'),
      body: reservation.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.inventory,
      method: 'POST',
      path: '/inventory/sku-1/reservations',
      correlationId: 'inventory-reserve-1',
      json: reservation,
      caller: 'admin',
    });
    expectRelayed(response, {
      status: 409,
      body: answer,
      correlationId: 'inventory-reserve-1',
      headers: { 'content-type': 'application/json', 'x-stock-available': '17' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client lists stock with paging, then inventory-service sees GET /inventory with the query', async () => {
    const answer = '{"content":[{"sku":"sku-1"}],"page":2}';
    const scope = intercept(UPSTREAMS.inventory)
      .get('/inventory')
      .query({ page: '2', size: '10', sort: 'name,asc' })
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-total-count': '11' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      path: '/api/v1/inventory?page=2&size=10&sort=name,asc',
      headers: clientHeaders('inventory-list-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.inventory,
      method: 'GET',
      path: '/inventory?page=2&size=10&sort=name,asc',
      correlationId: 'inventory-list-1',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'inventory-list-1',
      headers: { 'content-type': 'application/json', 'x-total-count': '11' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client cancels a reservation, then inventory-service sees DELETE /inventory/sku-1/reservations/r-9 and the client gets its 204', async () => {
    const scope = intercept(UPSTREAMS.inventory)
      .delete('/inventory/sku-1/reservations/r-9')
      .reply(204, '', upstreamReplyHeaders({ 'x-reservation-released': 'r-9' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'DELETE',
      path: '/api/v1/inventory/sku-1/reservations/r-9',
      headers: clientHeaders('inventory-delete-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.inventory,
      method: 'DELETE',
      path: '/inventory/sku-1/reservations/r-9',
      correlationId: 'inventory-delete-1',
    });
    expectRelayed(response, {
      status: 204,
      body: '',
      correlationId: 'inventory-delete-1',
      headers: { 'x-reservation-released': 'r-9' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client sends x_user_id and x_forwarded_for, then inventory-service sees no header with `_` and x-user-id comes from the token', async () => {
    await expectUnderscoredDropped(harness, {
      upstream: UPSTREAMS.inventory,
      gatewayPath: '/api/v1/inventory/sku-1',
      path: '/inventory/sku-1',
    });
  });

  for (const { target, reaches } of unsafePaths('/api/v1/inventory', '/api/v1/auth')) {
    it(`when ${target} is sent raw (it would reach ${reaches}), then 400 BAD_REQUEST and no service sees a request`, async () => {
      await expectRefusedUnsafe(harness, target, UPSTREAMS.auth, '/auth/1');
    });
  }
});
