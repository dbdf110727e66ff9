import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { VerifiedTokenCache } from '../../../src/auth/token-cache.js';
import { createKnownUser } from '../../../src/middleware/auth.js';
import type { GatewayContext, GatewayState } from '../../../src/state.js';

const user = { id: '42', email: 'ada@example.com', role: 'USER' };
const FAR = Math.floor(Date.now() / 1000) + 3600;

/** A context for `url` with `headers`, on a gateway file whose only public path is the login. */
function contextFor(url: string, headers: Record<string, string> = {}): GatewayContext {
  const request = new IncomingMessage(new Socket());
  request.url = url;
  request.method = 'GET';
  request.headers = headers;
  const ctx = new Koa<GatewayState>().createContext(request, new ServerResponse(request));
  ctx.state.routing = { publicPaths: ['/api/v1/auth/login'] };
  return ctx;
}

describe('createKnownUser (the user limit counted with the IP limit)', () => {
  const verified = new VerifiedTokenCache(10);
  verified.set('cached-token', { exp: FAR }, user, 'current');
  const knownUser = createKnownUser({ scope: '/api', verified });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('when a request under the scope carries a token the auth layer has cached, then its user is known', () => {
    expect(knownUser(contextFor('/api/v1/products/1', bearer('cached-token')))).to.equal('42');
  });

  it('when the token is not cached, then no user is known (the auth layer verifies it, the user layer counts it)', () => {
    expect(knownUser(contextFor('/api/v1/products/1', bearer('other-token')))).to.equal(undefined);
  });

  it('when the path is public or outside the scope, then no user is known, as the auth layer reads no token there', () => {
    expect(knownUser(contextFor('/api/v1/auth/login', bearer('cached-token')))).to.equal(undefined);
    expect(knownUser(contextFor('/health', bearer('cached-token')))).to.equal(undefined);
  });

  it('when an ordinary request carries the token as access_token, then no user is known (only a handshake may)', () => {
    expect(knownUser(contextFor('/api/v1/products/1?access_token=cached-token'))).to.equal(undefined);
  });
});
