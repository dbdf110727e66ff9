import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { GatewayError } from '../../../src/errors.js';
import { createMetrics } from '../../../src/metrics.js';
import { createRateLimit, type RateLimitOptions } from '../../../src/middleware/rate-limit.js';
import { createMemoryStore } from '../../../src/rate-limit/memory-store.js';
import type { CounterStore } from '../../../src/rate-limit/store.js';
import type { GatewayContext, GatewayState } from '../../../src/state.js';

/** A Koa context for `path` from `address` (an empty address: the socket is gone). */
function contextFor(path: string, address: string): GatewayContext {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: address === '' ? undefined : address });
  const request = new IncomingMessage(socket);
  request.url = path;
  request.method = 'GET';
  return new Koa<GatewayState>().createContext(request, new ServerResponse(request));
}

/** A store that remembers which keys it was asked to count. */
function recordingStore(): CounterStore & { keys: string[][] } {
  const memory = createMemoryStore(60_000);
  const keys: string[][] = [];
  return {
    keys,
    hit(asked) {
      keys.push([...asked]);
      return memory.hit(asked);
    },
  };
}

function layer(store: CounterStore, options: Partial<RateLimitOptions> = {}) {
  return createRateLimit({
    scope: '/api',
    by: 'ip',
    max: 5,
    routes: [],
    windowMs: 60_000,
    store,
    prefix: 'p',
    metrics: createMetrics(),
    ...options,
  });
}

async function run(middleware: ReturnType<typeof layer>, ctx: GatewayContext): Promise<boolean> {
  let reached = false;
  await middleware(ctx, async () => {
    reached = true;
  });
  return reached;
}

describe('rate limit layer', () => {
  it('regression: when the client socket is already gone (no address), then the request is not limited and nothing is counted', async () => {
    const store = recordingStore();
    const ctx = contextFor('/api/v1/products/1', '');
    expect(ctx.ip).to.equal('');
    expect(await run(layer(store), ctx)).to.equal(true);
    expect(store.keys).to.deep.equal([]);
  });

  it('when a path has a route limit, then the IP and the route are counted in one call, with their keys', async () => {
    const store = recordingStore();
    const limit = layer(store, { routes: [{ path: '/api/v1/auth/login', max: 2 }] });
    await run(limit, contextFor('/api/v1/auth/login', '198.51.100.1'));
    await run(limit, contextFor('/api/v1/auth/loginX', '198.51.100.1'));
    expect(store.keys).to.deep.equal([
      ['p:ip:198.51.100.1', 'p:route:/api/v1/auth/login:198.51.100.1'],
      ['p:ip:198.51.100.1'],
    ]);
  });

  it('when the route limit is nearer to exhaustion than the IP limit, then the headers describe the route limit', async () => {
    const limit = layer(recordingStore(), { max: 100, routes: [{ path: '/api/v1/auth/login', max: 3 }] });
    const ctx = contextFor('/api/v1/auth/login', '198.51.100.2');
    await run(limit, ctx);
    expect([
      ctx.response.get('RateLimit-Limit'),
      ctx.response.get('RateLimit-Remaining'),
      ctx.response.get('RateLimit-Reset'),
    ]).to.deep.equal(['3', '2', '60']);
  });

  it('when a later layer finds a limit nearer to exhaustion, then it replaces the headers; a farther one does not', async () => {
    const store = createMemoryStore(60_000);
    const ip = layer(store, { max: 10 });
    const user = layer(store, { by: 'user', max: 2 });
    const ctx = contextFor('/api/v1/products/1', '198.51.100.3');
    ctx.state.user = { id: '42', email: 'ada@example.com', role: 'USER' };
    await run(ip, ctx);
    expect(ctx.response.get('RateLimit-Remaining')).to.equal('9');
    await run(user, ctx);
    expect([ctx.response.get('RateLimit-Limit'), ctx.response.get('RateLimit-Remaining')]).to.deep.equal(['2', '1']);

    const roomy = layer(store, { by: 'user', max: 1000, prefix: 'other' });
    await run(roomy, ctx);
    expect(ctx.response.get('RateLimit-Limit')).to.equal('2');
  });

  it('when the IP layer knows the user ahead (a cached token), then IP, route and user are counted in one call and the user layer counts nothing more', async () => {
    const store = recordingStore();
    const known = { max: 2, knownUser: () => '42' };
    const ip = layer(store, { max: 10, routes: [{ path: '/api/v1/orders', max: 5 }], user: known });
    const user = layer(store, { by: 'user', max: 2 });
    const ctx = contextFor('/api/v1/orders/9', '198.51.100.7');
    expect(await run(ip, ctx)).to.equal(true);
    ctx.state.user = { id: '42', email: 'ada@example.com', role: 'USER' };
    expect(await run(user, ctx)).to.equal(true);
    expect(store.keys).to.deep.equal([['p:ip:198.51.100.7', 'p:route:/api/v1/orders:198.51.100.7', 'p:user:42']]);
    // The user limit is the nearest of the three: the headers describe it.
    expect([ctx.response.get('RateLimit-Limit'), ctx.response.get('RateLimit-Remaining')]).to.deep.equal(['2', '1']);
  });

  it('when the user known ahead is over its limit, then the IP layer answers 429 naming the user limit', async () => {
    const metrics = createMetrics();
    const ip = layer(recordingStore(), { max: 10, metrics, user: { max: 1, knownUser: () => '43' } });
    await run(ip, contextFor('/api/v1/products/1', '198.51.100.8'));
    const error = await run(ip, contextFor('/api/v1/products/1', '198.51.100.9')).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as GatewayError).status).to.equal(429);
    expect(await metrics.registry.getSingleMetricAsString('gateway_rate_limited_total')).to.include(
      'gateway_rate_limited_total{limit="user"} 1',
    );
  });

  it('when the auth layer finds a user other than the one known ahead, then the user layer counts that user', async () => {
    const store = recordingStore();
    const ip = layer(store, { user: { max: 2, knownUser: () => '44' } });
    const user = layer(store, { by: 'user', max: 2 });
    const ctx = contextFor('/api/v1/products/1', '198.51.100.10');
    await run(ip, ctx);
    ctx.state.user = { id: '45', email: 'bob@example.com', role: 'USER' };
    await run(user, ctx);
    expect(store.keys).to.deep.equal([['p:ip:198.51.100.10', 'p:user:44'], ['p:user:45']]);
  });

  it('when the IP layer knows no user ahead, then the user layer counts the verified user in a call of its own', async () => {
    const store = recordingStore();
    const ip = layer(store, { user: { max: 2, knownUser: () => undefined } });
    const user = layer(store, { by: 'user', max: 2 });
    const ctx = contextFor('/api/v1/products/1', '198.51.100.11');
    await run(ip, ctx);
    ctx.state.user = { id: '46', email: 'eve@example.com', role: 'USER' };
    await run(user, ctx);
    expect(store.keys).to.deep.equal([['p:ip:198.51.100.11'], ['p:user:46']]);
  });

  it('when the user layer meets a request without a verified user, then it counts nothing', async () => {
    const store = recordingStore();
    expect(await run(layer(store, { by: 'user' }), contextFor('/api/v1/products/1', '198.51.100.4'))).to.equal(true);
    expect(store.keys).to.deep.equal([]);
  });

  it('when a limit is exceeded, then 429 TOO_MANY_REQUESTS with Retry-After equal to RateLimit-Reset', async () => {
    const limit = layer(recordingStore(), { max: 1 });
    await run(limit, contextFor('/api/v1/products/1', '198.51.100.5'));
    const ctx = contextFor('/api/v1/products/1', '198.51.100.5');
    const error = await run(limit, ctx).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).status).to.equal(429);
    expect((error as GatewayError).headers['Retry-After']).to.equal(ctx.response.get('RateLimit-Reset'));
    expect(ctx.response.get('RateLimit-Remaining')).to.equal('0');
  });

  it('when the path is outside /api/, then nothing is counted', async () => {
    const store = recordingStore();
    expect(await run(layer(store), contextFor('/health', '198.51.100.6'))).to.equal(true);
    expect(store.keys).to.deep.equal([]);
  });
});
