import { expect } from 'chai';
import { useGateway, useUpstream } from '../helpers/fixtures.js';
import { allServicesAt, startGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import {
  AUTH_ENV,
  TEST_SECRET,
  accessClaims,
  accessToken,
  asymmetricToken,
  epochSeconds,
  signHmac,
  signHs256,
  unsignedToken,
} from '../helpers/tokens.js';

/** What a client is told: one of two generic messages, never the reason (that goes to the log). */
type RefusalMessage = 'Authentication required' | 'Invalid token';

function expectUnauthorized(response: TestResponse, message: RefusalMessage): void {
  expect(response.status).to.equal(401);
  expect(response.headers['www-authenticate']).to.equal('Bearer');
  const body = response.json<{ success: boolean; error: { code: string; message: string; correlationId: string } }>();
  expect(body).to.deep.equal({
    success: false,
    error: { code: 'UNAUTHORIZED', message, correlationId: response.headers['x-correlation-id'] },
  });
}

describe('JWT on protected routes (REQUIRE_AUTH=true)', () => {
  const fixture = useGateway({ env: { ...AUTH_ENV, JWT_AUDIENCE: 'qeetmart-api' } });

  const get = (path: string, headers: Record<string, string> = {}): Promise<TestResponse> =>
    send({ port: fixture.gateway.port, path, headers });
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const valid = (overrides: Record<string, unknown> = {}): string => accessToken({ aud: 'qeetmart-api', ...overrides });

  /** Each refusal: what the client sends, the message it is told, and the reason the log records. */
  const refused: Array<[what: string, headers: () => Record<string, string>, message: RefusalMessage, reason: string]> =
    [
      ['no Authorization header', () => ({}), 'Authentication required', 'no token'],
      [
        'a Basic header',
        () => ({ authorization: 'Basic YWRhOnNlY3JldA==' }),
        'Invalid token',
        'Bad Authorization header format. Format is "Authorization: Bearer <token>"',
      ],
      [
        'Bearer with no token',
        () => ({ authorization: 'Bearer' }),
        'Invalid token',
        'Bad Authorization header format. Format is "Authorization: Bearer <token>"',
      ],
      ['a malformed token', () => bearer('not.a.jwt'), 'Invalid token', 'invalid token'],
      [
        'a wrong signature',
        () => bearer(signHs256(accessClaims({ aud: 'qeetmart-api' }), 'another-secret')),
        'Invalid token',
        'invalid signature',
      ],
      ['an expired token', () => bearer(valid({ exp: epochSeconds(-60) })), 'Invalid token', 'jwt expired'],
      [
        'a token not yet valid (nbf)',
        () => bearer(valid({ nbf: epochSeconds(600) })),
        'Invalid token',
        'jwt not active',
      ],
      ['a token without exp', () => bearer(valid({ exp: undefined })), 'Invalid token', 'token has no exp claim'],
      [
        'a wrong issuer',
        () => bearer(valid({ iss: 'https://evil.example' })),
        'Invalid token',
        `jwt issuer invalid. expected: ${AUTH_ENV.JWT_ISSUER}`,
      ],
      [
        'a wrong audience',
        () => bearer(valid({ aud: 'another-api' })),
        'Invalid token',
        'jwt audience invalid. expected: qeetmart-api',
      ],
      [
        'alg none',
        () => bearer(unsignedToken(accessClaims({ aud: 'qeetmart-api' }))),
        'Invalid token',
        'jwt signature is required',
      ],
      [
        'an RS256 token',
        () => bearer(asymmetricToken('RS256', accessClaims({ aud: 'qeetmart-api' })).token),
        'Invalid token',
        'invalid algorithm',
      ],
      [
        'a PS256 token',
        () => bearer(asymmetricToken('PS256', accessClaims({ aud: 'qeetmart-api' })).token),
        'Invalid token',
        'invalid algorithm',
      ],
      [
        'an ES256 token',
        () => bearer(asymmetricToken('ES256', accessClaims({ aud: 'qeetmart-api' })).token),
        'Invalid token',
        'invalid algorithm',
      ],
      [
        'HS256 signed with an RSA public key (algorithm confusion)',
        () => bearer(signHs256(accessClaims({ aud: 'qeetmart-api' }), asymmetricToken('RS256', {}).publicKeyPem)),
        'Invalid token',
        'invalid signature',
      ],
      // The 47-byte test key is long enough for HS256 only (RFC 7518 §3.2).
      [
        'an HS384 token (the key is shorter than SHA-384)',
        () => bearer(signHmac(accessClaims({ aud: 'qeetmart-api' }), TEST_SECRET, 'HS384')),
        'Invalid token',
        'invalid algorithm',
      ],
      [
        'an HS512 token (the key is shorter than SHA-512)',
        () => bearer(signHmac(accessClaims({ aud: 'qeetmart-api' }), TEST_SECRET, 'HS512')),
        'Invalid token',
        'invalid algorithm',
      ],
      [
        'a refresh token',
        () => bearer(valid({ tokenType: 'refresh' })),
        'Invalid token',
        'token type refresh is not access',
      ],
      [
        'a token naming no user',
        () => bearer(valid({ sub: undefined, userId: undefined })),
        'Invalid token',
        'token names no user (userId or sub)',
      ],
    ];

  for (const [index, [what, headers, message, reason]] of refused.entries()) {
    it(`when the request has ${what}, then 401 "${message}", the reason "${reason}" is logged and the upstream is untouched`, async () => {
      const before = fixture.upstream.seen.length;
      const correlationId = `refused-${index}`;
      expectUnauthorized(await get('/api/v1/products/1', { ...headers(), 'x-correlation-id': correlationId }), message);
      expect(fixture.upstream.seen.length).to.equal(before);
      const line = fixture.gateway.logs.find(
        (entry) => entry.correlationId === correlationId && entry.msg === 'authentication refused',
      );
      expect(line?.reason).to.equal(reason);
    });
  }

  it('when the token is valid, then the user context goes downstream and spoofed x-user-* headers do not', async () => {
    const response = await get('/api/v1/products/1', {
      ...bearer(valid()),
      'x-user-id': '1',
      'x-user-role': 'ADMIN',
      'x-user-admin': 'true',
    });
    expect(response.status).to.equal(200);
    const { headers } = fixture.upstream.seen.at(-1)!;
    expect(headers['x-user-id']).to.equal('42');
    expect(headers['x-user-email']).to.equal('ada@example.com');
    expect(headers['x-user-role']).to.equal('USER');
    expect(headers).not.to.have.property('x-user-admin');
  });

  it('when the token has email and no userId, then x-user-id falls back to sub and x-user-email is the email', async () => {
    await get('/api/v1/users/me', bearer(valid({ userId: undefined, sub: 'user-7', email: 'grace@example.com' })));
    const { headers } = fixture.upstream.seen.at(-1)!;
    expect([headers['x-user-id'], headers['x-user-email']]).to.deep.equal(['user-7', 'grace@example.com']);
  });

  it('when the audience claim is a list containing ours, then the token is accepted', async () => {
    expect((await get('/api/v1/products/1', bearer(valid({ aud: ['other', 'qeetmart-api'] })))).status).to.equal(200);
  });

  it('when a token is sent as the Authorization header, then it reaches the upstream as received', async () => {
    const token = valid();
    await get('/api/v1/products/1', bearer(token));
    expect(fixture.upstream.seen.at(-1)!.headers.authorization).to.equal(`Bearer ${token}`);
  });

  for (const path of [
    '/api/v1/auth/login',
    '/api/v1/auth/register',
    '/api/v1/auth/refresh-token',
    '/api/v1/auth/login?next=1',
  ]) {
    it(`when ${path} is called without a token, then it is forwarded (public path)`, async () => {
      const response = await send({ port: fixture.gateway.port, method: 'POST', path, body: '{}' });
      expect(response.status).to.equal(200);
      expect(fixture.upstream.seen.at(-1)!.url).to.equal(path.replace('/api/v1', ''));
      expect(fixture.upstream.seen.at(-1)!.headers).not.to.have.property('x-user-id');
    });
  }

  for (const path of ['/api/v1/auth/loginX', '/api/v1/auth/me', '/api/v1/auth', '/api/v1/auth/LOGIN']) {
    it(`when ${path} is called without a token, then 401 (public paths match per segment, exactly)`, async () => {
      expectUnauthorized(
        await send({ port: fixture.gateway.port, method: 'POST', path, body: '{}' }),
        'Authentication required',
      );
    });
  }

  for (const path of [
    '/api/v1/auth/login/../../products/1',
    '/api/v1/auth/login/%2e%2e/%2e%2e/products/1',
    '/api/v1/auth/login/..%2f..%2fproducts/1',
    '/api/v1/auth/login%2f..%2f..%2fproducts/1',
    '/api/v1/auth/login/..;/..;/products/1',
    '/api/v1/auth/login\\..\\..\\products\\1',
  ]) {
    it(`when a public path is used to climb into another route (${path}), then 400 and nothing reaches any upstream`, async () => {
      const before = fixture.upstream.seen.length;
      const response = await get(path);
      expect(response.status).to.equal(400);
      expect(fixture.upstream.seen.length).to.equal(before);
    });
  }

  it('when a token that was accepted expires, then the next request with it is refused (no stale cached grant)', async () => {
    const token = valid({ exp: epochSeconds(60) });
    expect((await get('/api/v1/products/1', bearer(token))).status).to.equal(200);
    // Move the clock past exp instead of waiting: jsonwebtoken and the token cache both read Date.now().
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      expectUnauthorized(await get('/api/v1/products/1', bearer(token)), 'Invalid token');
    } finally {
      Date.now = realNow;
    }
    expect(fixture.gateway.logs.filter((entry) => entry.msg === 'authentication refused').at(-1)?.reason).to.equal(
      'jwt expired',
    );
  });

  it('when a token was accepted, then a copy with the same claims and another signature is still refused', async () => {
    const token = valid();
    expect((await get('/api/v1/products/1', bearer(token))).status).to.equal(200);
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    expectUnauthorized(await get('/api/v1/products/1', bearer(forged)), 'Invalid token');
  });

  it('when /health is called without a token, then it answers (health is not behind auth)', async () => {
    expect((await get('/health')).status).to.equal(200);
  });
});

describe('JWT key bytes as the auth service derives them', () => {
  const fixture = useUpstream();

  async function statusWith(env: Record<string, string>, token: string): Promise<number> {
    const gateway = await startGateway({ ...allServicesAt(fixture.upstream.url), ...AUTH_ENV, ...env });
    try {
      return (
        await send({ port: gateway.port, path: '/api/v1/products/1', headers: { authorization: `Bearer ${token}` } })
      ).status;
    } finally {
      await gateway.close();
    }
  }

  const keyBytes = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef', 'utf8');
  const base64Secret = keyBytes.toString('base64');

  it('when JWT_SECRET is valid Base64, then tokens signed with its decoded bytes pass and ones signed with its text do not', async () => {
    expect(await statusWith({ JWT_SECRET: base64Secret }, signHs256(accessClaims(), keyBytes))).to.equal(200);
    expect(await statusWith({ JWT_SECRET: base64Secret }, signHs256(accessClaims(), base64Secret))).to.equal(401);
  });

  it('when JWT_SECRET is not Base64, then its UTF-8 bytes are the key', async () => {
    expect(
      await statusWith({ JWT_SECRET: TEST_SECRET }, signHs256(accessClaims(), Buffer.from(TEST_SECRET, 'utf8'))),
    ).to.equal(200);
  });

  it('when JWT_SECRET_ENCODING=utf8, then a Base64-looking secret is read as text', async () => {
    expect(
      await statusWith(
        { JWT_SECRET: base64Secret, JWT_SECRET_ENCODING: 'utf8' },
        signHs256(accessClaims(), base64Secret),
      ),
    ).to.equal(200);
  });

  it('when JWT_ISSUER is empty, then any issuer is accepted', async () => {
    expect(await statusWith({ JWT_ISSUER: '' }, accessToken({ iss: 'https://elsewhere.example' }))).to.equal(200);
  });
});

describe('JWT with REQUIRE_AUTH=false', () => {
  const fixture = useGateway({ env: { ...AUTH_ENV, REQUIRE_AUTH: 'false' } });

  it('when no token is sent, then the request passes with no user context', async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { 'x-user-id': '1' },
    });
    expect(response.status).to.equal(200);
    expect(fixture.upstream.seen.at(-1)!.headers).not.to.have.property('x-user-id');
  });

  it('when an invalid token is sent, then it is still refused with 401', async () => {
    const before = fixture.upstream.seen.length;
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { authorization: `Bearer ${accessToken({ exp: epochSeconds(-1) })}` },
    });
    expectUnauthorized(response, 'Invalid token');
    expect(fixture.upstream.seen.length).to.equal(before);
  });

  it('when a valid token is sent, then its user context goes downstream', async () => {
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { authorization: `Bearer ${accessToken()}` },
    });
    expect(fixture.upstream.seen.at(-1)!.headers['x-user-id']).to.equal('42');
  });
});
