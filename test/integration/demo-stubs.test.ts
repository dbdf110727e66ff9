import { expect } from 'chai';
import { SERVICES, type ServiceId } from '../../demo/services.js';
import { DEMO_PASSWORD, INVENTORY, PRODUCTS, USERS } from '../../demo/records.js';
import { DEMO_JWT_SECRET, type JwtSettings } from '../../demo/settings.js';
import { STUB_IDS, closeStubs, startStub, type RunningStub } from '../../demo/stubs.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import { AUTH_ENV, TEST_ISSUER } from '../helpers/tokens.js';

/** The gateway verifies with the demo's secret, as the demo and docker compose run it. */
const DEMO_AUTH_ENV = { ...AUTH_ENV, JWT_SECRET: DEMO_JWT_SECRET };

/** The stubs, and an in-process gateway in front of them verifying with the same JWT settings. */
async function startStack(
  jwt: JwtSettings,
  gatewayEnv: Record<string, string>,
): Promise<{ gateway: RunningGateway; stubs: RunningStub[] }> {
  const stubs = await Promise.all(STUB_IDS.map((id) => startStub(id, { host: '127.0.0.1', port: 0, jwt })));
  const urls = Object.fromEntries(
    stubs.map((stub) => [`${SERVICES[stub.id].env}_SERVICE_URL`, `http://127.0.0.1:${stub.port}`]),
  );
  return { stubs, gateway: await startGateway({ ...urls, ...gatewayEnv }) };
}

/** The decoded header (part 0) or claims (part 1) of a compact JWS. */
function partOf(token: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[part]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const claimsOf = (token: string): Record<string, unknown> => partOf(token, 1);

describe('demo stub services behind the gateway', () => {
  let stack: { gateway: RunningGateway; stubs: RunningStub[] };
  const post = (path: string, body: unknown): Promise<TestResponse> =>
    send({
      port: stack.gateway.port,
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = (path: string, token?: string): Promise<TestResponse> =>
    send({ port: stack.gateway.port, path, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  async function login(email: string, password = DEMO_PASSWORD): Promise<TestResponse> {
    return post('/api/v1/auth/login', { email, password });
  }

  before(async () => {
    stack = await startStack({ secret: DEMO_JWT_SECRET, encoding: 'auto', issuer: TEST_ISSUER }, DEMO_AUTH_ENV);
  });

  after(async () => {
    await stack.gateway.close();
    await closeStubs(stack.stubs);
  });

  it('when a stub user logs in with the demo secret, then the access token is HS512 with the auth service claims and opens protected routes as that user', async () => {
    const user = USERS[1]!;
    const response = await login(user.email);
    expect(response.status).to.equal(200);
    const { accessToken, tokenType, expiresIn } = response.json<{
      accessToken: string;
      tokenType: string;
      expiresIn: number;
    }>();
    expect(tokenType).to.equal('Bearer');
    // 64 decoded bytes: jjwt's signWith picks HS512, and so does the stub.
    expect(partOf(accessToken, 0)).to.deep.equal({ alg: 'HS512', typ: 'JWT' });
    const claims = claimsOf(accessToken);
    expect(claims).to.include({
      sub: user.email,
      userId: user.id,
      role: user.role,
      tokenType: 'access',
      iss: TEST_ISSUER,
    });
    expect(claims.exp).to.equal((claims.iat as number) + expiresIn);
    const profile = await get(`/api/v1/users/${user.id}`, accessToken);
    expect(profile.status).to.equal(200);
    expect(profile.json()).to.deep.include({ data: user });
    expect(profile.json<{ received: Record<string, string> }>().received).to.include({
      'x-user-id': String(user.id),
      'x-user-email': user.email,
      'x-user-role': user.role,
      'x-correlation-id': profile.headers['x-correlation-id'],
    });
  });

  it('when the password is wrong, then the auth stub answers 401 itself and the gateway passes it through', async () => {
    const response = await login(USERS[0]!.email, 'wrong-password');
    expect(response.status).to.equal(401);
    expect(response.json()).to.deep.equal({ message: 'Invalid email or password' });
  });

  it('when a refresh token is exchanged, then new tokens come back; used as a bearer token, the gateway refuses it', async () => {
    const { refreshToken } = (await login(USERS[0]!.email)).json<{ refreshToken: string }>();
    expect(partOf(refreshToken, 0).alg).to.equal('HS512');
    const refreshed = await post('/api/v1/auth/refresh-token', { refreshToken });
    expect(refreshed.status).to.equal(200);
    expect(claimsOf(refreshed.json<{ accessToken: string }>().accessToken).tokenType).to.equal('access');
    expect((await post('/api/v1/auth/refresh-token', { refreshToken: `${refreshToken}x` })).status).to.equal(401);
    expect((await get('/api/v1/products', refreshToken)).status).to.equal(401);
  });

  it('when someone registers, then 201 and they can log in; registering the same email again is 409', async () => {
    const registration = { email: 'linus@example.com', password: 'long-enough', name: 'Linus' };
    const created = await post('/api/v1/auth/register', registration);
    expect(created.status).to.equal(201);
    expect(created.json()).to.include({ email: registration.email, role: 'USER' });
    expect((await login(registration.email, registration.password)).status).to.equal(200);
    expect((await post('/api/v1/auth/register', registration)).status).to.equal(409);
  });

  for (const [path, records] of [
    ['/api/v1/users', USERS],
    ['/api/v1/products', PRODUCTS],
    ['/api/v1/inventory', INVENTORY],
  ] as const) {
    it(`when ${path} is listed and asked for ids, then it answers its records, and 404 for an unknown id`, async () => {
      const { accessToken } = (await login(USERS[0]!.email)).json<{ accessToken: string }>();
      expect((await get(path, accessToken)).json()).to.deep.include({ data: records });
      expect((await get(`${path}/${records[0].id}`, accessToken)).json()).to.deep.include({ data: records[0] });
      const missing = await get(`${path}/999`, accessToken);
      expect(missing.status).to.equal(404);
      expect(missing.json<{ message: string }>().message).to.match(/ 999 not found$/);
    });
  }

  it('when the gateway probes every service, then each stub answers on its registry health path', async () => {
    const response = await get('/health/services');
    expect(response.status).to.equal(200);
    const services = response.json<{ services: Array<{ name: string; status: string }> }>().services;
    expect(services.map((service) => [service.name, service.status])).to.deep.equal(
      (Object.keys(SERVICES) as ServiceId[]).map((id) => [SERVICES[id].name, 'healthy']),
    );
  });

  it('when JWT_SECRET is Base64 of 32 bytes, then the stub signs HS256 with the decoded bytes and the gateway, reading it the same way, accepts the token', async () => {
    const secret = Buffer.from('a 32-byte key, decoded from b64!').toString('base64');
    const base64 = await startStack(
      { secret, encoding: 'auto', issuer: undefined },
      { REQUIRE_AUTH: 'true', JWT_SECRET: secret, JWT_ISSUER: '' },
    );
    try {
      const body = JSON.stringify({ email: USERS[0]!.email, password: DEMO_PASSWORD });
      const headers = { 'content-type': 'application/json' };
      const { accessToken } = (
        await send({ port: base64.gateway.port, method: 'POST', path: '/api/v1/auth/login', headers, body })
      ).json<{ accessToken: string }>();
      expect(claimsOf(accessToken)).not.to.have.property('iss');
      expect(partOf(accessToken, 0).alg).to.equal('HS256');
      expect(
        (
          await send({
            port: base64.gateway.port,
            path: '/api/v1/products/1',
            headers: { authorization: `Bearer ${accessToken}` },
          })
        ).status,
      ).to.equal(200);
      // The same token is refused by a gateway that reads the secret as UTF-8 text: the key bytes really differ.
      const utf8 = await startGateway({ ...AUTH_ENV, JWT_SECRET: secret, JWT_SECRET_ENCODING: 'utf8', JWT_ISSUER: '' });
      try {
        expect(
          (
            await send({
              port: utf8.port,
              path: '/api/v1/products/1',
              headers: { authorization: `Bearer ${accessToken}` },
            })
          ).status,
        ).to.equal(401);
      } finally {
        await utf8.close();
      }
    } finally {
      await base64.gateway.close();
      await closeStubs(base64.stubs);
    }
  });

  it('when the auth stub is given a secret jjwt cannot decode, then it is healthy but logging in answers 500 naming JWT_SECRET, and signs nothing', async () => {
    const stub = await startStub('auth', {
      host: '127.0.0.1',
      port: 0,
      jwt: { secret: 'qeetmart-demo-secret-not-for-production-use', encoding: 'utf8', issuer: undefined },
    });
    try {
      expect((await send({ port: stub.port, path: SERVICES.auth.healthPath })).status).to.equal(200);
      const body = JSON.stringify({ email: USERS[0]!.email, password: DEMO_PASSWORD });
      const response = await send({
        port: stub.port,
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status).to.equal(500);
      expect(response.json<{ message: string }>().message).to.match(/^JWT_SECRET cannot be used by the auth service: /);
    } finally {
      await closeStubs([stub]);
    }
  });
});
