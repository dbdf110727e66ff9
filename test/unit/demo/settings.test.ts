import { expect } from 'chai';
import { gatewayEnv } from '../../../demo/gateway-process.js';
import { DEMO_JWT_SECRET, DemoSettingsError, readDemoSettings, stubPortVariable } from '../../../demo/settings.js';
import { loadConfig } from '../../../src/config/index.js';
import { createMetrics } from '../../../src/metrics.js';
import { VerifiedTokenCache } from '../../../src/auth/token-cache.js';
import { createAuth } from '../../../src/middleware/auth.js';
import { createMemoryLogger } from '../../helpers/logger.js';

describe('demo settings', () => {
  it("when env is empty, then the gateway and stubs use the shop's usual ports on loopback", () => {
    const settings = readDemoSettings({});
    expect(settings.gatewayPort).to.equal(4000);
    expect(settings.stubHost).to.equal('127.0.0.1');
    expect(settings.stubPorts).to.deep.equal({ auth: 4001, users: 8082, products: 8083, inventory: 8080 });
    expect(settings.jwt).to.deep.equal({ secret: DEMO_JWT_SECRET, encoding: 'auto', issuer: 'http://localhost:4001' });
  });

  it('when JWT_SECRET is one the auth service cannot use, then one line names JWT_SECRET, never its value', () => {
    const refused = [
      ['qeetmart-demo-secret-not-for-production-use', 'Base64 decoder refuses it'],
      [Buffer.alloc(24, 1).toString('base64'), '24-byte key, under the 32'],
    ] as const;
    for (const [secret, reason] of refused) {
      let message = '';
      try {
        readDemoSettings({ JWT_SECRET: secret });
      } catch (error) {
        expect(error).to.be.instanceOf(DemoSettingsError);
        message = (error as Error).message;
      }
      expect(message, secret).to.match(/^Invalid demo configuration: JWT_SECRET cannot be used by the auth service: /);
      expect(message, secret).to.include(reason);
      expect(message, secret).not.to.include(secret);
      expect(message.split('\n')).to.have.length(1);
    }
  });

  it('when a stub port variable is set, then that stub moves; the names follow the service env prefixes', () => {
    expect(['auth', 'users', 'products', 'inventory'].map((id) => stubPortVariable(id as 'auth'))).to.deep.equal([
      'DEMO_AUTH_PORT',
      'DEMO_USER_PORT',
      'DEMO_PRODUCT_PORT',
      'DEMO_INVENTORY_PORT',
    ]);
    expect(readDemoSettings({ DEMO_USER_PORT: '9100' }).stubPorts.users).to.equal(9100);
  });

  it('when ports are not ports, then one error names every bad variable', () => {
    let message = '';
    try {
      readDemoSettings({ PORT: '0', DEMO_INVENTORY_PORT: 'eighty' });
    } catch (error) {
      expect(error).to.be.instanceOf(DemoSettingsError);
      message = (error as Error).message;
    }
    expect(message).to.include('PORT').and.to.include('DEMO_INVENTORY_PORT');
    expect(message.split('\n')).to.have.length(1);
  });

  it('when the gateway env is built, then auth is required, the secret is shared and every service URL points at its stub', () => {
    const settings = readDemoSettings({ DEMO_PRODUCT_PORT: '9200', JWT_ISSUER: '' });
    const env = gatewayEnv({ LOG_LEVEL: 'warn', REQUIRE_AUTH: 'false' }, settings);
    const config = loadConfig(env);
    expect(config.auth).to.include({ required: true, issuer: undefined });
    expect(config.auth.key.key.export().toString('base64')).to.equal(DEMO_JWT_SECRET);
    expect(config.services.map((service) => service.urls[0])).to.deep.equal([
      'http://127.0.0.1:4001',
      'http://127.0.0.1:8082',
      'http://127.0.0.1:9200',
      'http://127.0.0.1:8080',
    ]);
    expect(config.logLevel).to.equal('warn');
  });

  it('when the demo secret is used with NODE_ENV=production, then the gateway accepts it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEMO_JWT_SECRET })).not.to.throw();
  });

  it('when the demo starts its gateway with the demo secret, then the gateway reads 64 Base64 bytes and warns of nothing', () => {
    const { logger, lines } = createMemoryLogger();
    const config = loadConfig(gatewayEnv({}, readDemoSettings({})));
    createAuth({
      auth: config.auth,
      scope: '/api/',
      verified: new VerifiedTokenCache(1),
      logger,
      metrics: createMetrics(),
    });
    expect(lines.map(({ level, msg }) => ({ level, msg }))).to.deep.equal([
      { level: 30, msg: 'JWT_SECRET read as base64 (auto): 64-byte key, accepting HS256, HS384, HS512' },
    ]);
  });
});
