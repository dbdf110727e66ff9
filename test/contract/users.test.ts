import { expect } from 'chai';
import { send } from '../helpers/http.js';
import { clientHeaders, expectDownstream, expectRelayed, jsonRequest, upstreamReplyHeaders } from './exchange.js';
import { intercept, record, UPSTREAMS, useContractGateway } from './harness.js';
import { expectUnderscoredDropped } from './underscores.js';
import { expectRefusedUnsafe, unsafePaths } from './unsafe-paths.js';

describe('contract: user-service (/api/v1/users → /users)', () => {
  const harness = useContractGateway();

  it("when a client lists a user's orders with paging, then user-service sees GET /users/42/orders with the query and the client gets the page", async () => {
    const answer = '{"content":[{"id":7,"total":12.5}],"page":2,"size":10}';
    const scope = intercept(UPSTREAMS.users)
      .get('/users/42/orders')
      .query({ page: '2', size: '10', sort: 'name,asc' })
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-total-count': '11' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      path: '/api/v1/users/42/orders?page=2&size=10&sort=name,asc',
      headers: clientHeaders('users-orders-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.users,
      method: 'GET',
      path: '/users/42/orders?page=2&size=10&sort=name,asc',
      correlationId: 'users-orders-1',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'users-orders-1',
      headers: { 'content-type': 'application/json', 'x-total-count': '11' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client replaces a profile, then user-service sees PUT /users/42 with the exact body and the client gets the saved profile', async () => {
    const profile = jsonRequest({ name: 'Ada Lovelace', address: { street: 'Straße 1', city: 'Zürich' }, phone: null });
    const answer = '{"id":42,"name":"Ada Lovelace","version":3}';
    const scope = intercept(UPSTREAMS.users)
      .put('/users/42')
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', etag: '"v3"' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'PUT',
      path: '/api/v1/users/42',
      headers: clientHeaders('users-put-1', profile.headers),
      body: profile.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.users,
      method: 'PUT',
      path: '/users/42',
      correlationId: 'users-put-1',
      json: profile,
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'users-put-1',
      headers: { 'content-type': 'application/json', etag: '"v3"' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client patches a profile and user-service rejects it with 422, then it sees PATCH /users/42 with the exact body and the client gets the 422 untouched', async () => {
    const patch = jsonRequest({ email: 'not-an-email', tags: ['vip', 'naïve'] });
    const answer = '{"errors":[{"field":"email","message":"must be a well-formed email address"}]}';
    const scope = intercept(UPSTREAMS.users)
      .patch('/users/42')
      .reply(422, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-validation': 'failed' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'PATCH',
      path: '/api/v1/users/42',
      headers: clientHeaders('users-patch-1', patch.headers),
      body: patch.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.users,
      method: 'PATCH',
      path: '/users/42',
      correlationId: 'users-patch-1',
      json: patch,
    });
    expectRelayed(response, {
      status: 422,
      body: answer,
      correlationId: 'users-patch-1',
      headers: { 'content-type': 'application/json', 'x-validation': 'failed' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client deletes a user that user-service does not know, then it sees DELETE /users/404 and the client gets its 404 untouched', async () => {
    const answer = '{"error":"USER_NOT_FOUND"}';
    const scope = intercept(UPSTREAMS.users)
      .delete('/users/404')
      .reply(404, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-user-lookup': 'miss' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'DELETE',
      path: '/api/v1/users/404',
      headers: clientHeaders('users-delete-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.users,
      method: 'DELETE',
      path: '/users/404',
      correlationId: 'users-delete-1',
    });
    expectRelayed(response, {
      status: 404,
      body: answer,
      correlationId: 'users-delete-1',
      headers: { 'content-type': 'application/json', 'x-user-lookup': 'miss' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client sends x_user_id and x_forwarded_for, then user-service sees no header with `_` and x-user-id comes from the token', async () => {
    await expectUnderscoredDropped(harness, {
      upstream: UPSTREAMS.users,
      gatewayPath: '/api/v1/users/42',
      path: '/users/42',
    });
  });

  for (const { target, reaches } of unsafePaths('/api/v1/users', '/api/v1/inventory')) {
    it(`when ${target} is sent raw (it would reach ${reaches}), then 400 BAD_REQUEST and no service sees a request`, async () => {
      await expectRefusedUnsafe(harness, target, UPSTREAMS.inventory, '/inventory/1');
    });
  }
});
