import { expect } from 'chai';
import { send } from '../helpers/http.js';
import { clientHeaders, expectDownstream, expectRelayed, jsonRequest, upstreamReplyHeaders } from './exchange.js';
import { intercept, record, UPSTREAMS, useContractGateway } from './harness.js';
import { expectUnderscoredDropped } from './underscores.js';
import { expectRefusedUnsafe, unsafePaths } from './unsafe-paths.js';

describe('contract: auth-service (/api/v1/auth → /auth)', () => {
  const harness = useContractGateway();

  it('when a client logs in, then auth-service sees POST /auth/login with the exact body and the client gets the tokens and both cookies', async () => {
    const login = jsonRequest({ email: 'ada@example.com', password: 'pässwörd "quoted" \\ 🔑' });
    const answer = '{"accessToken":"a.b.c","refreshToken":"d.e.f","tokenType":"Bearer"}';
    const scope = intercept(UPSTREAMS.auth)
      .post('/auth/login')
      .reply(
        200,
        answer,
        upstreamReplyHeaders({
          'content-type': 'application/json',
          'x-auth-flow': 'password',
          'set-cookie': ['session=s1; Path=/; HttpOnly', 'csrf=c1; Path=/'],
        }),
      );
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: clientHeaders('auth-login-1', login.headers),
      body: login.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.auth,
      method: 'POST',
      path: '/auth/login',
      correlationId: 'auth-login-1',
      json: login,
      public: true,
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'auth-login-1',
      headers: {
        'content-type': 'application/json',
        'x-auth-flow': 'password',
        'set-cookie': ['session=s1; Path=/; HttpOnly', 'csrf=c1; Path=/'],
      },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client asks who it is with a query, then auth-service sees GET /auth/me with the query and the client gets its answer', async () => {
    const answer = '{"email":"ada@example.com","role":"USER"}';
    const scope = intercept(UPSTREAMS.auth)
      .get('/auth/me')
      .query({ page: '2', size: '10', sort: 'name,asc' })
      .reply(200, answer, upstreamReplyHeaders({ 'content-type': 'application/json', 'x-auth-source': 'token' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      path: '/api/v1/auth/me?page=2&size=10&sort=name,asc',
      headers: clientHeaders('auth-me-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.auth,
      method: 'GET',
      path: '/auth/me?page=2&size=10&sort=name,asc',
      correlationId: 'auth-me-1',
    });
    expectRelayed(response, {
      status: 200,
      body: answer,
      correlationId: 'auth-me-1',
      headers: { 'content-type': 'application/json', 'x-auth-source': 'token' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client logs out, then auth-service sees DELETE /auth/sessions/current and the client gets its 204', async () => {
    const scope = intercept(UPSTREAMS.auth)
      .delete('/auth/sessions/current')
      .reply(204, '', upstreamReplyHeaders({ 'x-session-ended': 'yes' }));
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'DELETE',
      path: '/api/v1/auth/sessions/current',
      headers: clientHeaders('auth-logout-1'),
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.auth,
      method: 'DELETE',
      path: '/auth/sessions/current',
      correlationId: 'auth-logout-1',
    });
    expectRelayed(response, {
      status: 204,
      body: '',
      correlationId: 'auth-logout-1',
      headers: { 'x-session-ended': 'yes' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when auth-service refuses a registration with 409, then status, body and its header reach the client untouched', async () => {
    const registration = jsonRequest({ email: 'ada@example.com', password: 'secret', name: 'Ada Lovelace' });
    const answer = '{"error":"EMAIL_TAKEN","message":"Email already registered"}';
    const scope = intercept(UPSTREAMS.auth)
      .post('/auth/register')
      .reply(
        409,
        answer,
        upstreamReplyHeaders({ 'content-type': 'application/problem+json', 'x-auth-error': 'EMAIL_TAKEN' }),
      );
    const seen = record(scope);

    const response = await send({
      port: harness.port,
      method: 'POST',
      path: '/api/v1/auth/register',
      headers: clientHeaders('auth-register-1', registration.headers),
      body: registration.body,
    });

    expectDownstream(seen, {
      upstream: UPSTREAMS.auth,
      method: 'POST',
      path: '/auth/register',
      correlationId: 'auth-register-1',
      json: registration,
      public: true,
    });
    expectRelayed(response, {
      status: 409,
      body: answer,
      correlationId: 'auth-register-1',
      headers: { 'content-type': 'application/problem+json', 'x-auth-error': 'EMAIL_TAKEN' },
    });
    expect(scope.isDone()).to.equal(true);
    expect(harness.unmatched).to.deep.equal([]);
  });

  it('when a client sends x_user_id and x_forwarded_for, then auth-service sees no header with `_` and x-user-id comes from the token', async () => {
    await expectUnderscoredDropped(harness, {
      upstream: UPSTREAMS.auth,
      gatewayPath: '/api/v1/auth/me',
      path: '/auth/me',
    });
  });

  it('when a client sends x_user_id and x_forwarded_for to the public /api/v1/auth/login, then auth-service sees no header with `_` and no user context', async () => {
    await expectUnderscoredDropped(harness, {
      upstream: UPSTREAMS.auth,
      gatewayPath: '/api/v1/auth/login',
      path: '/auth/login',
      public: true,
    });
  });

  for (const { target, reaches } of unsafePaths('/api/v1/auth', '/api/v1/products')) {
    it(`when ${target} is sent raw (it would reach ${reaches}), then 400 BAD_REQUEST and no service sees a request`, async () => {
      await expectRefusedUnsafe(harness, target, UPSTREAMS.products, '/products/1');
    });
  }
});
