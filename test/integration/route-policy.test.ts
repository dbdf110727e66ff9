import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send, type TestResponse } from '../helpers/http.js';
import { accessToken, AUTH_ENV } from '../helpers/tokens.js';

type Envelope = { success: boolean; error: { code: string; message: string; correlationId: string } };

function expectError(response: TestResponse, status: number, code: string, message: string): void {
  expect(response.status, response.text).to.equal(status);
  expect(response.json<Envelope>()).to.deep.equal({
    success: false,
    error: { code, message, correlationId: response.headers['x-correlation-id'] },
  });
}

describe('route roles of the default gateway file (REQUIRE_AUTH=true)', () => {
  const fixture = useGateway({ env: AUTH_ENV });
  const call = (method: string, path: string, role?: string | null): Promise<TestResponse> =>
    send({
      port: fixture.gateway.port,
      method,
      path,
      headers: {
        authorization: `Bearer ${accessToken(role === null ? { role: undefined } : role === undefined ? {} : { role })}`,
        'content-type': 'application/json',
      },
      ...(method === 'POST' || method === 'PUT' ? { body: '{"name":"lamp"}' } : {}),
    });

  it('when a customer (role USER) posts a product, then 403 FORBIDDEN "Insufficient role", the service sees nothing, and the log names the user and the roles required', async () => {
    const before = fixture.upstream.seen.length;
    const response = await call('POST', '/api/v1/products');
    expectError(response, 403, 'FORBIDDEN', 'Insufficient role');
    expect(fixture.upstream.seen.length).to.equal(before);
    const refusal = fixture.gateway.logs.find(
      (line) => line.msg === 'role refused' && line.correlationId === response.headers['x-correlation-id'],
    );
    expect(refusal).to.deep.include({
      userId: '42',
      role: 'USER',
      requiredRoles: ['ADMIN'],
      method: 'POST',
      path: '/api/v1/products',
    });
  });

  for (const role of ['ADMIN', 'admin', 'ROLE_ADMIN', 'ROLE_admin']) {
    it(`when a token with role ${role} posts a product, then it is forwarded (roles compare as Spring's converter reads them)`, async () => {
      const response = await call('POST', '/api/v1/products', role);
      expect(response.status, response.text).to.equal(200);
      expect(fixture.upstream.seen.at(-1)).to.deep.include({ method: 'POST', url: '/products' });
    });
  }

  it('when the role claim is role_admin (lower-case prefix) or missing, then 403: Spring makes the first ROLE_ROLE_ADMIN, the second no authority', async () => {
    expectError(await call('POST', '/api/v1/products', 'role_admin'), 403, 'FORBIDDEN', 'Insufficient role');
    expectError(await call('POST', '/api/v1/products', null), 403, 'FORBIDDEN', 'Insufficient role');
  });

  const refusedForUsers: Array<[method: string, path: string]> = [
    ['PUT', '/api/v1/products/7'],
    ['DELETE', '/api/v1/products/7'],
    ['POST', '/api/v1/products/7/variants'],
    ['POST', '/api/v1/categories'],
    ['PUT', '/api/v1/categories/3'],
    ['DELETE', '/api/v1/categories/3'],
    ['GET', '/api/v1/users'],
    ['HEAD', '/api/v1/users'],
    ['POST', '/api/v1/inventory/add-stock'],
    ['POST', '/api/v1/inventory/reserve'],
  ];
  for (const [method, path] of refusedForUsers) {
    it(`when a customer sends ${method} ${path}, then 403 and nothing is forwarded; an ADMIN token is forwarded`, async () => {
      const before = fixture.upstream.seen.length;
      const refused = await call(method, path);
      expect(refused.status).to.equal(403);
      expect(fixture.upstream.seen.length).to.equal(before);
      expect((await call(method, path, 'ADMIN')).status).to.equal(200);
      expect(fixture.upstream.seen.length).to.equal(before + 1);
    });
  }

  const openToUsers: Array<[method: string, path: string, upstream: string]> = [
    ['GET', '/api/v1/products/7', '/products/7'],
    ['GET', '/api/v1/categories', '/categories'],
    ['GET', '/api/v1/users/42', '/users/42'],
    ['PUT', '/api/v1/users/42', '/users/42'],
    ['GET', '/api/v1/inventory/7', '/inventory/7'],
  ];
  for (const [method, path, upstream] of openToUsers) {
    it(`when a customer sends ${method} ${path}, then it reaches ${upstream} (the service decides)`, async () => {
      expect((await call(method, path)).status).to.equal(200);
      expect(fixture.upstream.seen.at(-1)).to.deep.include({ method, url: upstream });
    });
  }

  it('when a client without a token logs out, then the request reaches the auth service (logout is public)', async () => {
    const response = await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/auth/logout',
      body: '{"refreshToken":"r"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).to.equal(200);
    expect(fixture.upstream.seen.at(-1)).to.deep.include({ method: 'POST', url: '/auth/logout' });
  });
});

describe('route roles with REQUIRE_AUTH=false', () => {
  const fixture = useGateway({ env: { ...AUTH_ENV, REQUIRE_AUTH: 'false' } });

  it('when a request has no token, then roles are not checked (as authentication is not); one with a USER token is refused', async () => {
    const anonymous = await send({ port: fixture.gateway.port, method: 'POST', path: '/api/v1/products', body: '{}' });
    expect(anonymous.status).to.equal(200);
    const customer = await send({
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products',
      body: '{}',
      headers: { authorization: `Bearer ${accessToken()}` },
    });
    expect(customer.status).to.equal(403);
  });
});

describe('route methods (test/fixtures/gateway/policies.yaml)', () => {
  const fixture = useGateway({ env: { GATEWAY_CONFIG: 'test/fixtures/gateway/policies.yaml' } });
  const call = (method: string, path: string): Promise<TestResponse> =>
    send({ port: fixture.gateway.port, method, path });

  it("when a method the route does not allow arrives, then 405 METHOD_NOT_ALLOWED with the route's Allow, and nothing is forwarded", async () => {
    const before = fixture.upstream.seen.length;
    const response = await call('DELETE', '/api/v1/products/7');
    expectError(response, 405, 'METHOD_NOT_ALLOWED', 'Method DELETE is not allowed');
    expect(response.headers.allow).to.equal('GET, POST, HEAD');
    expect(fixture.upstream.seen.length).to.equal(before);
  });

  it("when a path narrows the methods, then its own Allow holds there, and the route's elsewhere", async () => {
    const response = await call('POST', '/api/v1/products/search');
    expectError(response, 405, 'METHOD_NOT_ALLOWED', 'Method POST is not allowed');
    expect(response.headers.allow).to.equal('GET, HEAD');
    expect((await call('GET', '/api/v1/products/search?q=lamp')).status).to.equal(200);
    expect((await call('POST', '/api/v1/products')).status).to.equal(200);
  });

  it('when GET is allowed, then HEAD is too', async () => {
    expect((await call('HEAD', '/api/v1/products/7')).status).to.equal(200);
    expect(fixture.upstream.seen.at(-1)).to.deep.include({ method: 'HEAD', url: '/products/7' });
  });
});
