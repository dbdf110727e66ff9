import { expect } from 'chai';
import { loadConfig, type Config } from '../../../src/config/index.js';

/** Loads `env` with the gateway file `text` instead of one on disk: config loading is pure but for this read. */
function loadWith(text: string, env: Record<string, string> = {}): Config {
  return loadConfig(env, (name) => ({ path: `/etc/gateway/${name}`, text }));
}

const ORDERS = `
services:
  - name: order-service
    env: ORDER
    urls: [http://orders:8090/]
    healthPath: /actuator/health
    timeoutMs: 1500
    idleTimeoutMs: 20000
    healthIntervalMs: 2000
    ejectFailures: 3
    ejectMs: 400
  - { name: cart-service, env: CART, urls: [http://cart-1:8091, http://cart-2:8091], healthPath: /health }
routes:
  - prefix: /api/v1/orders
    service: order-service
    upstreamPath: /orders
    limit: 300
    methods: [GET, POST, DELETE]
    roles: { '*': [USER, ADMIN], DELETE: [ADMIN] }
    paths:
      - { path: /api/v1/orders/export, methods: [GET], roles: { GET: [ADMIN] } }
      - { path: /api/v1/orders/export/status, limit: auth }
      - { path: /api/v1/orders/open, public: true, roles: {} }
  - { prefix: /api/v1/cart, service: cart-service, upstreamPath: /cart, public: true }
`;

describe('routing from the gateway file', () => {
  it('when a service entry sets its own values, then they win over the gateway-wide variables', () => {
    const config = loadWith(ORDERS, {
      GATEWAY_PROXY_TIMEOUT_MS: '2500',
      GATEWAY_PROXY_IDLE_TIMEOUT_MS: '30000',
      UPSTREAM_EJECT_FAILURES: '9',
      UPSTREAM_EJECT_MS: '900',
    });
    const [orders, cart] = config.services;
    expect(orders).to.deep.equal({
      name: 'order-service',
      env: 'ORDER',
      urls: ['http://orders:8090'],
      healthPath: '/actuator/health',
      timeoutMs: 1500,
      idleTimeoutMs: 20_000,
      healthIntervalMs: 2000,
      ejectFailures: 3,
      ejectMs: 400,
    });
    expect(cart).to.deep.include({
      urls: ['http://cart-1:8091', 'http://cart-2:8091'],
      timeoutMs: 2500,
      idleTimeoutMs: 30_000,
      healthIntervalMs: undefined,
      ejectFailures: 9,
      ejectMs: 900,
    });
  });

  it("when a variable names a service, then it wins over the service's entry", () => {
    const config = loadWith(ORDERS, {
      ORDER_SERVICE_URL: 'http://10.0.0.7:8090',
      ORDER_SERVICE_TIMEOUT_MS: '700',
      ORDER_SERVICE_IDLE_TIMEOUT_MS: '800',
      ORDER_SERVICE_HEALTH_INTERVAL_MS: '0',
    });
    expect(config.services[0]).to.deep.include({
      urls: ['http://10.0.0.7:8090'],
      timeoutMs: 700,
      idleTimeoutMs: 800,
      healthIntervalMs: undefined,
    });
    expect(config.routes[0]!.service).to.equal(config.services[0]);
  });

  it('when a service variable is bad, then start-up stops naming it, as for the built-in variables', () => {
    expect(() => loadWith(ORDERS, { CART_SERVICE_TIMEOUT_MS: 'soon' })).to.throw(
      /CART_SERVICE_TIMEOUT_MS must be a whole number/,
    );
  });

  it('when routes set public paths and limits, then each lands once, with auth read as RATE_LIMIT_AUTH_MAX', () => {
    const config = loadWith(ORDERS, { RATE_LIMIT_AUTH_MAX: '7' });
    expect(config.routes.map((route) => route.publicPaths)).to.deep.equal([['/api/v1/orders/open'], ['/api/v1/cart']]);
    expect(config.routes[0]!.limits).to.deep.equal([
      { path: '/api/v1/orders/export/status', max: 7 },
      { path: '/api/v1/orders', max: 300 },
    ]);
  });

  it('when paths set methods or roles, then the nearest one that writes a field decides it, most specific path first', () => {
    const policies = loadWith(ORDERS).routes[0]!.policies;
    expect(policies).to.deep.equal([
      { path: '/api/v1/orders/export/status', exact: false, methods: ['GET'], roles: { GET: ['ADMIN'] } },
      { path: '/api/v1/orders/export', exact: false, methods: ['GET'], roles: { GET: ['ADMIN'] } },
      { path: '/api/v1/orders/open', exact: false, methods: ['GET', 'POST', 'DELETE'], roles: {} },
      {
        path: '/api/v1/orders',
        exact: false,
        methods: ['GET', 'POST', 'DELETE'],
        roles: { '*': ['USER', 'ADMIN'], DELETE: ['ADMIN'] },
      },
    ]);
  });

  it('when the file is loaded, then the config records its path and hash; another text, another hash', () => {
    const first = loadWith(ORDERS);
    expect(first.gatewayFile.path).to.equal('/etc/gateway/config/gateway.yaml');
    expect(loadWith(`${ORDERS}\n# changed\n`).gatewayFile.sha256).not.to.equal(first.gatewayFile.sha256);
  });
});
