import { expect } from 'chai';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createMemoryLogger } from '../helpers/logger.js';

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
    expect(build().app.middleware.map((fn) => fn.name)).to.deep.equal([
      'correlation',
      'logging',
      'errors',
      'drain',
      'corsGuard',
      'security',
      'rateLimit',
      'requestGuard',
      'authenticate',
      'rateLimit',
      'routes',
      'notFound',
    ]);
  });

  it('when two gateways are built from two configs, then each follows its own', () => {
    const trusting = build({ TRUST_PROXY: 'true' });
    const direct = build({ TRUST_PROXY: 'false' });
    expect([trusting.app.proxy, direct.app.proxy]).to.deep.equal([true, false]);
  });
});
