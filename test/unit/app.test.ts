import { expect } from 'chai';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { allServicesAt, startGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import { createMemoryLogger } from '../helpers/logger.js';
import { startUpstream } from '../helpers/upstream.js';

describe('createGateway', () => {
  const built: Gateway[] = [];

  function build(env: Record<string, string> = {}): Gateway {
    const gateway = createGateway(loadConfig(env), { logger: createMemoryLogger().logger });
    built.push(gateway);
    return gateway;
  }

  afterEach(async () => {
    await Promise.all(built.splice(0).map((gateway) => gateway.close()));
  });

  it('when the gateway is built, then the onion has the layers in the pinned order', () => {
    const gateway = build();
    expect(gateway.layers).to.deep.equal([
      'correlation',
      'routing',
      'tracing',
      'logging',
      'errors',
      'drain',
      'cors',
      'security',
      'rate-limit-ip',
      'request-guard',
      'auth',
      'rate-limit-user',
      'route-policy',
      'router',
      'not-found',
    ]);
    expect(gateway.app.middleware).to.have.length(gateway.layers.length);
  });

  it('when two gateways are built from two configs in one process, then spending the budget of one leaves the other untouched', async () => {
    const upstream = await startUpstream();
    const strict = await startGateway({ ...allServicesAt(upstream.url), RATE_LIMIT_MAX: '2', TRUST_PROXY: 'true' });
    const roomy = await startGateway({ ...allServicesAt(upstream.url), RATE_LIMIT_MAX: '50', TRUST_PROXY: 'false' });
    try {
      const ask = (port: number): Promise<TestResponse> =>
        send({ port, path: '/api/v1/products/1', headers: { 'x-forwarded-for': '203.0.113.5' } });
      const spent = [await ask(strict.port), await ask(strict.port), await ask(strict.port)];
      expect(spent.map((response) => response.status)).to.deep.equal([200, 200, 429]);
      const other = await ask(roomy.port);
      expect(other.status).to.equal(200);
      expect([other.headers['ratelimit-limit'], other.headers['ratelimit-remaining']]).to.deep.equal(['50', '49']);
      // Each follows its own proxy setting: only the trusting one let the header name the client.
      expect(upstream.seen.map((seen) => seen.headers['x-forwarded-for'])).to.deep.equal([
        '203.0.113.5, 127.0.0.1',
        '203.0.113.5, 127.0.0.1',
        '127.0.0.1',
      ]);
    } finally {
      await strict.close();
      await roomy.close();
      await upstream.close();
    }
  });
});
