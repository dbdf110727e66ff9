import type { KeyObject } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { SERVICES } from '../config/services.js';
import { pathOf, readJsonObject, receivedHeaders, sendJson } from './exchange.js';
import { DEMO_PASSWORD, USERS, type DemoUser } from './records.js';
import { issueTokens, verifyHs256 } from './tokens.js';

/** Options of the stub auth service. */
export interface AuthStubOptions {
  /** The HMAC key, derived from JWT_SECRET exactly as the gateway derives its own. */
  readonly key: KeyObject;
  readonly issuer: string | undefined;
}

/**
 * A stand-in for the shop's auth service: `POST /auth/login`, `/auth/register` and
 * `/auth/refresh-token` answer with HS256 tokens like its own; registrations live in memory only.
 */
export function createAuthStub(options: AuthStubOptions): RequestListener {
  const { key, issuer } = options;
  const users = new Map<string, { user: DemoUser; password: string }>(
    USERS.map((user) => [user.email, { user, password: DEMO_PASSWORD }]),
  );

  const actions: Record<string, (body: Record<string, unknown>) => [number, unknown]> = {
    '/auth/login'(body) {
      const entry = typeof body.email === 'string' ? users.get(body.email) : undefined;
      if (entry === undefined || entry.password !== body.password) return [401, { message: 'Invalid email or password' }];
      return [200, issueTokens(entry.user, key, issuer)];
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
      const claims = typeof body.refreshToken === 'string' ? verifyHs256(body.refreshToken, key) : undefined;
      const entry = claims?.tokenType === 'refresh' && typeof claims.sub === 'string' ? users.get(claims.sub) : undefined;
      if (entry === undefined) return [401, { message: 'Invalid refresh token' }];
      return [200, issueTokens(entry.user, key, issuer)];
    },
  };

  return (request, response) => {
    const path = pathOf(request);
    if (request.method === 'GET' && path === SERVICES.auth.healthPath) return sendJson(response, 200, { status: 'UP' });
    const action = actions[path];
    if (action === undefined) return sendJson(response, 404, { message: `No handler for ${path}`, received: receivedHeaders(request) });
    if (request.method !== 'POST') return sendJson(response, 405, { message: 'Method not allowed' });
    void readJsonObject(request).then((body) => {
      const [status, answer] = body === undefined ? [400, { message: 'A JSON object body is required' }] : action(body);
      sendJson(response, status, answer);
    });
  };
}
