import type { RequestListener } from 'node:http';
import { SERVICES } from './services.js';
import { pathOf, readJsonObject, receivedHeaders, sendJson } from './exchange.js';
import { DEMO_PASSWORD, USERS, type DemoUser } from './records.js';
import type { AuthServiceSigning } from './signing.js';
import { issueTokens, verifyHmac } from './tokens.js';

/** Options of the stub auth service. */
export interface AuthStubOptions {
  /** What the shop's auth service signs with for JWT_SECRET (see signing.ts). */
  readonly signing: AuthServiceSigning;
  readonly issuer: string | undefined;
}

/**
 * A stand-in for the shop's auth service: `POST /auth/login`, `/auth/register` and
 * `/auth/refresh-token` answer with tokens signed as its own are (HS256, HS384 or HS512 by the key's
 * length); registrations live in memory only. Given a secret jjwt cannot use (the demo's settings
 * refuse one before any stub starts), logging in and refreshing answer 500 with the reason.
 */
export function createAuthStub(options: AuthStubOptions): RequestListener {
  const { signing, issuer } = options;
  const users = new Map<string, { user: DemoUser; password: string }>(
    USERS.map((user) => [user.email, { user, password: DEMO_PASSWORD }]),
  );

  const issue = (user: DemoUser): [number, unknown] =>
    signing.result === 'signs'
      ? [200, issueTokens(user, signing.signing, issuer)]
      : [500, { message: signing.problem }];
  const verify = (token: string): Record<string, unknown> | undefined =>
    signing.result === 'signs' ? verifyHmac(token, signing.signing) : undefined;

  const actions: Record<string, (body: Record<string, unknown>) => [number, unknown]> = {
    '/auth/login'(body) {
      const entry = typeof body.email === 'string' ? users.get(body.email) : undefined;
      if (entry === undefined || entry.password !== body.password)
        return [401, { message: 'Invalid email or password' }];
      return issue(entry.user);
    },
    '/auth/register'(body) {
      const { email, password, name } = body;
      if (typeof email !== 'string' || !email.includes('@') || typeof password !== 'string' || password.length < 8) {
        return [400, { message: 'email and a password of at least 8 characters are required' }];
      }
      if (users.has(email)) return [409, { message: 'Email already registered' }];
      const id = 1 + Math.max(...[...users.values()].map((entry) => entry.user.id));
      const user: DemoUser = { id, email, name: typeof name === 'string' ? name : email, role: 'USER' };
      users.set(email, { user, password });
      return [201, user];
    },
    '/auth/refresh-token'(body) {
      const claims = typeof body.refreshToken === 'string' ? verify(body.refreshToken) : undefined;
      const entry =
        claims?.tokenType === 'refresh' && typeof claims.sub === 'string' ? users.get(claims.sub) : undefined;
      if (entry === undefined) return [401, { message: 'Invalid refresh token' }];
      return issue(entry.user);
    },
  };

  return (request, response) => {
    const path = pathOf(request);
    if (request.method === 'GET' && path === SERVICES.auth.healthPath) return sendJson(response, 200, { status: 'UP' });
    const action = actions[path];
    if (action === undefined)
      return sendJson(response, 404, { message: `No handler for ${path}`, received: receivedHeaders(request) });
    if (request.method !== 'POST') return sendJson(response, 405, { message: 'Method not allowed' });
    void readJsonObject(request).then((body) => {
      const [status, answer] = body === undefined ? [400, { message: 'A JSON object body is required' }] : action(body);
      sendJson(response, status, answer);
    });
  };
}
