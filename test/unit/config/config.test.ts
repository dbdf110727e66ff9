import { expect } from 'chai';
import { ConfigError, loadConfig, type Config } from '../../../src/config/index.js';

const SECRET_32 = 'a-production-secret-of-32-chars!';

/** The message of the ConfigError `env` causes; fails the test when none is thrown. */
function configErrorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** The bytes of the JWT key the config derived, as text (the secrets here are read as UTF-8 unless said). */
function keyText(config: Config, encoding: BufferEncoding = 'utf8'): string {
  return config.auth.key.key.export().toString(encoding);
}

function serviceNamed(config: Config, name: string) {
  const service = config.services.find((candidate) => candidate.name === name);
  expect(service, name).not.to.equal(undefined);
  return service!;
}

describe('loadConfig', () => {
  describe('defaults', () => {
    const config = loadConfig({});

    it('when env is empty, then the server, proxy and CORS settings are the contract defaults', () => {
      expect(config.port).to.equal(4000);
      expect(config.host).to.equal('0.0.0.0');
      expect(config.trustProxy).to.equal(false);
      expect(config.cors).to.deep.equal({
        origins: ['http://localhost:3000', 'http://localhost:5173'],
        credentials: true,
        maxAgeSeconds: 600,
        exposeHeaders: [],
        resourcePolicy: 'same-origin',
      });
      expect(config.maxBodyBytes).to.equal(10 * 1024 * 1024);
      expect(config.shutdownGraceMs).to.equal(10_000);
      expect(config.logLevel).to.equal('info');
    });

    it('when env is empty, then auth is required with the placeholder secret and the default issuer', () => {
      expect(config.auth).to.include({
        required: true,
        issuer: 'http://localhost:4001',
        audience: undefined,
        previousKey: undefined,
      });
      expect(keyText(config)).to.equal('CHANGE_ME_TO_A_STRONG_SECRET');
      expect(config.auth.key).to.include({ encoding: 'utf8', forced: false, length: 28 });
    });

    it("when env is empty, then the public paths are the auth service's register, login, refresh-token and logout", () => {
      expect(config.routes.flatMap((route) => route.publicPaths)).to.have.members([
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/auth/refresh-token',
        '/api/v1/auth/logout',
      ]);
    });

    it('when env is empty, then the rate limit is 1000 a minute in memory', () => {
      expect(config.rateLimit).to.deep.equal({
        windowMs: 60_000,
        max: 1000,
        userMax: 1000,
        redis: undefined,
        redisPrefix: 'gateway:ratelimit',
        redisTimeoutMs: 250,
      });
    });

    it('when env is empty, then the strict per-IP limit of 20 guards register, login and refresh-token, and nothing else', () => {
      expect(config.routes.flatMap((route) => route.limits)).to.have.deep.members([
        { path: '/api/v1/auth/login', max: 20 },
        { path: '/api/v1/auth/register', max: 20 },
        { path: '/api/v1/auth/refresh-token', max: 20 },
      ]);
    });

    it('when env is empty, then every service has its default URL, health path and the 5000 ms timeout', () => {
      expect(
        config.services.map(
          ({ name, urls, healthPath, timeoutMs, idleTimeoutMs, healthIntervalMs, ejectFailures, ejectMs }) => ({
            name,
            urls,
            healthPath,
            timeoutMs,
            idleTimeoutMs,
            healthIntervalMs,
            ejectFailures,
            ejectMs,
          }),
        ),
      ).to.deep.equal([
        {
          name: 'auth-service',
          urls: ['http://localhost:4001'],
          healthPath: '/actuator/health',
          timeoutMs: 5000,
          idleTimeoutMs: 60_000,
          healthIntervalMs: undefined,
          ejectFailures: 5,
          ejectMs: 10_000,
        },
        {
          name: 'user-service',
          urls: ['http://localhost:8082'],
          healthPath: '/actuator/health',
          timeoutMs: 5000,
          idleTimeoutMs: 60_000,
          healthIntervalMs: undefined,
          ejectFailures: 5,
          ejectMs: 10_000,
        },
        {
          name: 'product-service',
          urls: ['http://localhost:8083'],
          healthPath: '/actuator/health',
          timeoutMs: 5000,
          idleTimeoutMs: 60_000,
          healthIntervalMs: undefined,
          ejectFailures: 5,
          ejectMs: 10_000,
        },
        {
          name: 'inventory-service',
          urls: ['http://localhost:8080'],
          healthPath: '/health',
          timeoutMs: 5000,
          idleTimeoutMs: 60_000,
          healthIntervalMs: undefined,
          ejectFailures: 5,
          ejectMs: 10_000,
        },
      ]);
    });

    it('when env is empty, then each route prefix maps to its upstream path and service', () => {
      expect(config.routes.map((route) => [route.prefix, route.upstreamPath, route.service.name])).to.deep.equal([
        ['/api/v1/auth', '/auth', 'auth-service'],
        ['/api/v1/users', '/users', 'user-service'],
        ['/api/v1/products', '/products', 'product-service'],
        ['/api/v1/categories', '/categories', 'product-service'],
        ['/api/v1/inventory', '/inventory', 'inventory-service'],
      ]);
    });

    it("when env is empty, then the services' admin-only operations need ADMIN: writes of products and categories, the user list, every inventory POST", () => {
      const policies = Object.fromEntries(
        config.routes.map((route) => [
          route.prefix,
          route.policies.map(({ path, exact, methods, roles }) => ({ path, exact, methods, roles })),
        ]),
      );
      const writes = { POST: ['ADMIN'], PUT: ['ADMIN'], DELETE: ['ADMIN'] };
      expect(policies).to.deep.equal({
        '/api/v1/auth': [
          ...['/api/v1/auth/refresh-token', '/api/v1/auth/register', '/api/v1/auth/logout', '/api/v1/auth/login'].map(
            (path) => ({ path, exact: false, methods: undefined, roles: {} }),
          ),
          { path: '/api/v1/auth', exact: false, methods: undefined, roles: {} },
        ],
        '/api/v1/users': [
          { path: '/api/v1/users', exact: true, methods: undefined, roles: { GET: ['ADMIN'] } },
          { path: '/api/v1/users', exact: false, methods: undefined, roles: {} },
        ],
        '/api/v1/products': [{ path: '/api/v1/products', exact: false, methods: undefined, roles: writes }],
        '/api/v1/categories': [{ path: '/api/v1/categories', exact: false, methods: undefined, roles: writes }],
        '/api/v1/inventory': [
          { path: '/api/v1/inventory', exact: false, methods: undefined, roles: { POST: ['ADMIN'] } },
        ],
      });
    });

    it('when env is empty, then the gateway file is config/gateway.yaml under the working directory, with its SHA-256', () => {
      expect(config.gatewayFile.path).to.equal(`${process.cwd()}/config/gateway.yaml`);
      expect(config.gatewayFile.sha256).to.match(/^[0-9a-f]{64}$/);
    });
  });

  describe('overrides', () => {
    const overrides: Array<[name: string, raw: string, read: (config: Config) => unknown, expected: unknown]> = [
      ['PORT', '8080', (c) => c.port, 8080],
      ['PORT', ' 8081 ', (c) => c.port, 8081],
      ['HOST', '127.0.0.1', (c) => c.host, '127.0.0.1'],
      ['TRUST_PROXY', 'true', (c) => c.trustProxy, true],
      [
        'CORS_ORIGINS',
        'https://a.example, https://b.example,',
        (c) => c.cors.origins,
        ['https://a.example', 'https://b.example'],
      ],
      ['CORS_CREDENTIALS', 'false', (c) => c.cors.credentials, false],
      ['CORS_MAX_AGE_S', '7200', (c) => c.cors.maxAgeSeconds, 7200],
      ['CORS_MAX_AGE_S', '0', (c) => c.cors.maxAgeSeconds, 0],
      ['CORS_EXPOSE_HEADERS', 'Location, ETag,,Link', (c) => c.cors.exposeHeaders, ['Location', 'ETag', 'Link']],
      ['CORS_EXPOSE_HEADERS', '', (c) => c.cors.exposeHeaders, []],
      ['CROSS_ORIGIN_RESOURCE_POLICY', 'cross-origin', (c) => c.cors.resourcePolicy, 'cross-origin'],
      ['CROSS_ORIGIN_RESOURCE_POLICY', 'Same-Site', (c) => c.cors.resourcePolicy, 'same-site'],
      ['REQUIRE_AUTH', 'false', (c) => c.auth.required, false],
      ['JWT_SECRET', 'another-secret', (c) => keyText(c), 'another-secret'],
      [
        'JWT_SECRET_PREVIOUS',
        'the-secret-before',
        (c) => c.auth.previousKey?.key.export().toString(),
        'the-secret-before',
      ],
      ['JWT_SECRET_ENCODING', 'utf8', (c) => c.auth.key.forced, true],
      ['JWT_ISSUER', 'https://auth.example', (c) => c.auth.issuer, 'https://auth.example'],
      ['JWT_AUDIENCE', 'shop', (c) => c.auth.audience, 'shop'],
      ['RATE_LIMIT_WINDOW_MS', '1000', (c) => c.rateLimit.windowMs, 1000],
      ['RATE_LIMIT_MAX', '5', (c) => c.rateLimit.max, 5],
      ['RATE_LIMIT_MAX', '5', (c) => c.rateLimit.userMax, 5],
      ['RATE_LIMIT_USER_MAX', '7', (c) => c.rateLimit.userMax, 7],
      [
        'RATE_LIMIT_AUTH_MAX',
        '3',
        (c) => c.routes.flatMap((route) => route.limits).map((limit) => limit.max),
        [3, 3, 3],
      ],
      ['REDIS_URL', 'redis://cache:6379', (c) => c.rateLimit.redis, { kind: 'url', url: 'redis://cache:6379' }],
      ['REDIS_URL', 'rediss://cache:6380', (c) => c.rateLimit.redis, { kind: 'url', url: 'rediss://cache:6380' }],
      ['REDIS_URL', 'redis://cache:6379', (c) => c.rateLimit.redis, { kind: 'url', url: 'redis://cache:6379' }],
      ['REDIS_URL', 'rediss://cache:6380', (c) => c.rateLimit.redis, { kind: 'url', url: 'rediss://cache:6380' }],
      ['RATE_LIMIT_REDIS_PREFIX', 'shop:rl', (c) => c.rateLimit.redisPrefix, 'shop:rl'],
      ['MAX_BODY_BYTES', '1024', (c) => c.maxBodyBytes, 1024],
      ['SHUTDOWN_GRACE_MS', '500', (c) => c.shutdownGraceMs, 500],
      ['LOG_LEVEL', 'debug', (c) => c.logLevel, 'debug'],
      ['AUTH_SERVICE_URL', 'http://auth:9001', (c) => serviceNamed(c, 'auth-service').urls, ['http://auth:9001']],
      ['USER_SERVICE_URL', 'http://users:9002', (c) => serviceNamed(c, 'user-service').urls, ['http://users:9002']],
      [
        'PRODUCT_SERVICE_URL',
        'https://products:9003',
        (c) => serviceNamed(c, 'product-service').urls,
        ['https://products:9003'],
      ],
      [
        'INVENTORY_SERVICE_URL',
        'http://inventory:9004',
        (c) => serviceNamed(c, 'inventory-service').urls,
        ['http://inventory:9004'],
      ],
    ];

    for (const [name, raw, read, expected] of overrides) {
      it(`when ${name}=${JSON.stringify(raw)}, then the config reads ${JSON.stringify(expected)}`, () => {
        expect(read(loadConfig({ [name]: raw }))).to.deep.equal(expected);
      });
    }

    it('when RATE_LIMIT_USER_MAX and RATE_LIMIT_MAX are both set, then each limit keeps its own value', () => {
      const { rateLimit } = loadConfig({ RATE_LIMIT_MAX: '50', RATE_LIMIT_USER_MAX: '10' });
      expect([rateLimit.max, rateLimit.userMax]).to.deep.equal([50, 10]);
    });

    it('when GATEWAY_PROXY_TIMEOUT_MS is set, then it is the timeout of every service', () => {
      const config = loadConfig({ GATEWAY_PROXY_TIMEOUT_MS: '2500' });
      expect(config.services.map((service) => service.timeoutMs)).to.deep.equal([2500, 2500, 2500, 2500]);
    });

    it('when PRODUCT_SERVICE_TIMEOUT_MS is set, then it overrides the product service only', () => {
      const config = loadConfig({ GATEWAY_PROXY_TIMEOUT_MS: '2500', PRODUCT_SERVICE_TIMEOUT_MS: '900' });
      expect(config.services.map((service) => [service.name, service.timeoutMs])).to.deep.equal([
        ['auth-service', 2500],
        ['user-service', 2500],
        ['product-service', 900],
        ['inventory-service', 2500],
      ]);
    });

    it('when GATEWAY_PROXY_IDLE_TIMEOUT_MS and PRODUCT_SERVICE_IDLE_TIMEOUT_MS are set, then the first is every idle timeout but the product service one', () => {
      const config = loadConfig({ GATEWAY_PROXY_IDLE_TIMEOUT_MS: '30000', PRODUCT_SERVICE_IDLE_TIMEOUT_MS: '1500' });
      expect(config.services.map((service) => [service.name, service.idleTimeoutMs, service.timeoutMs])).to.deep.equal([
        ['auth-service', 30_000, 5000],
        ['user-service', 30_000, 5000],
        ['product-service', 1500, 5000],
        ['inventory-service', 30_000, 5000],
      ]);
    });

    it('when JWT_ISSUER is set to the empty string, then there is no issuer (no issuer check)', () => {
      expect(loadConfig({ JWT_ISSUER: '' }).auth.issuer).to.equal(undefined);
      expect(loadConfig({ JWT_ISSUER: '  ' }).auth.issuer).to.equal(undefined);
    });

    it('when a service URL ends with slashes, then they are stripped', () => {
      const config = loadConfig({
        PRODUCT_SERVICE_URL: 'http://products:9003/',
        USER_SERVICE_URL: 'http://users/base//',
      });
      expect(serviceNamed(config, 'product-service').urls).to.deep.equal(['http://products:9003']);
      expect(serviceNamed(config, 'user-service').urls).to.deep.equal(['http://users/base']);
    });

    it('when a service URL is a comma-separated list, then each is an instance base URL, slashes stripped', () => {
      const config = loadConfig({
        PRODUCT_SERVICE_URL: 'http://127.0.0.2:9003/, http://products:9003,,http://[::1]:9003',
      });
      expect(serviceNamed(config, 'product-service').urls).to.deep.equal([
        'http://127.0.0.2:9003',
        'http://products:9003',
        'http://[::1]:9003',
      ]);
    });

    it('when the upstream variables are set, then discovery, ejection and active checks follow them', () => {
      const config = loadConfig({
        SERVICE_DNS_REFRESH_MS: '250',
        SERVICE_DNS_SERVERS: '127.0.0.1:5353,[::1]:53',
        UPSTREAM_EJECT_FAILURES: '2',
        UPSTREAM_EJECT_MS: '300',
        INVENTORY_SERVICE_HEALTH_INTERVAL_MS: '1000',
      });
      expect(config.discovery).to.deep.equal({
        refreshMs: 250,
        servers: [
          { host: '127.0.0.1', port: 5353 },
          { host: '::1', port: 53 },
        ],
      });
      const inventory = serviceNamed(config, 'inventory-service');
      expect([inventory.ejectFailures, inventory.ejectMs, inventory.healthIntervalMs]).to.deep.equal([2, 300, 1000]);
      expect(serviceNamed(config, 'product-service').healthIntervalMs).to.equal(undefined);
    });

    it('when a service URL is overridden, then its route is bound to the overridden service', () => {
      const config = loadConfig({ PRODUCT_SERVICE_URL: 'http://products:9003', PRODUCT_SERVICE_TIMEOUT_MS: '700' });
      const route = config.routes.find((candidate) => candidate.prefix === '/api/v1/products')!;
      expect(route.service).to.equal(serviceNamed(config, 'product-service'));
      expect(route.service.urls).to.deep.equal(['http://products:9003']);
      expect(route.service.timeoutMs).to.equal(700);
    });

    it('when two configs are loaded from two envs, then neither changes the other', () => {
      const first = loadConfig({ PORT: '1111' });
      const second = loadConfig({ PORT: '2222' });
      expect([first.port, second.port]).to.deep.equal([1111, 2222]);
    });
  });

  describe('invalid values', () => {
    const invalid: Array<[name: string, raw: string]> = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['TRUST_PROXY', 'maybe'],
      ['PRODUCT_SERVICE_URL', 'ftp://x'],
      ['PRODUCT_SERVICE_URL', 'not a url'],
      ['PRODUCT_SERVICE_URL', 'http://products:9003/?debug=1'],
      ['PRODUCT_SERVICE_URL', 'http://a:1,https://b:1'],
      ['PRODUCT_SERVICE_URL', 'http://a:1/base,http://b:1/other'],
      ['PRODUCT_SERVICE_URL', 'http://a:1,ftp://b'],
      ['SERVICE_DNS_REFRESH_MS', '0'],
      ['SERVICE_DNS_SERVERS', '127.0.0.1'],
      ['UPSTREAM_EJECT_FAILURES', '0'],
      ['UPSTREAM_EJECT_MS', 'long'],
      ['PRODUCT_SERVICE_HEALTH_INTERVAL_MS', 'often'],
      ['GATEWAY_PROXY_TIMEOUT_MS', '-1'],
      ['GATEWAY_PROXY_TIMEOUT_MS', '0'],
      ['PRODUCT_SERVICE_TIMEOUT_MS', 'soon'],
      ['GATEWAY_PROXY_IDLE_TIMEOUT_MS', '0'],
      ['INVENTORY_SERVICE_IDLE_TIMEOUT_MS', '1m'],
      ['RATE_LIMIT_MAX', '1.5'],
      ['RATE_LIMIT_USER_MAX', '0'],
      ['RATE_LIMIT_AUTH_MAX', 'many'],
      ['LOG_LEVEL', 'loud'],
      ['REDIS_URL', 'http://x'],
      ['REDIS_SENTINELS', 's1:26379,s2'],
      ['REDIS_SENTINELS', 's1:70000'],
      ['JWT_SECRET_ENCODING', 'hex'],
      ['CORS_MAX_AGE_S', '-1'],
      ['CORS_MAX_AGE_S', '10m'],
      ['CORS_EXPOSE_HEADERS', 'Location,X Total'],
      ['CORS_EXPOSE_HEADERS', 'ETag,Link:'],
      ['CROSS_ORIGIN_RESOURCE_POLICY', 'none'],
      ['CROSS_ORIGIN_RESOURCE_POLICY', 'cross-site'],
      ['GATEWAY_CONFIG', 'config/no-such-gateway.yaml'],
    ];

    for (const [name, raw] of invalid) {
      it(`when ${name}=${JSON.stringify(raw)}, then start-up stops with one line naming ${name}`, () => {
        const message = configErrorOf({ [name]: raw });
        expect(message).not.to.match(/[\r\n]/);
        expect(message).to.include(name);
      });
    }

    it('when several variables are bad, then one line names every one of them', () => {
      const message = configErrorOf({ PORT: 'abc', TRUST_PROXY: 'maybe', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' });
      expect(message).not.to.match(/[\r\n]/);
      for (const name of ['PORT', 'TRUST_PROXY', 'LOG_LEVEL', 'REDIS_URL']) expect(message).to.include(name);
    });

    it('when a refused REDIS_URL carries a password, then the start-up line names REDIS_URL without the password', () => {
      const message = configErrorOf({ REDIS_URL: 'redis://:s3cret@cache:6379/?db=1' });
      expect(message).to.include('REDIS_URL');
      expect(message).not.to.include('s3cret');
    });

    it('when a bad value contains a newline, then the message is still one line', () => {
      const message = configErrorOf({ PORT: '80\n80' });
      expect(message).not.to.match(/[\r\n]/);
      expect(message).to.include('PORT');
    });
  });

  describe('JWT_SECRET as the auth service reads it', () => {
    it('when JWT_SECRET has surrounding whitespace, then it is kept (the auth service reads the variable as it is)', () => {
      expect(keyText(loadConfig({ JWT_SECRET: ' a-secret-with-spaces \n' }))).to.equal(' a-secret-with-spaces \n');
      expect(loadConfig({ JWT_SECRET_PREVIOUS: ' old secret \n' }).auth.previousKey?.key.export().toString()).to.equal(
        ' old secret \n',
      );
    });

    it('when JWT_SECRET_ENCODING=base64 and jjwt decodes JWT_SECRET, then the config loads with it', () => {
      const secret = Buffer.alloc(48, 9).toString('base64');
      const config = loadConfig({ JWT_SECRET_ENCODING: 'base64', JWT_SECRET: secret });
      expect(config.auth.key).to.include({ encoding: 'base64', forced: true, length: 48 });
      expect(keyText(config, 'base64')).to.equal(secret);
    });

    it('when JWT_SECRET_ENCODING=base64 and jjwt cannot decode JWT_SECRET, then start-up stops with one line naming both, without the secret', () => {
      const message = configErrorOf({ JWT_SECRET_ENCODING: 'base64', JWT_SECRET: 'shop-gateway-signing-key-2026' });
      expect(message).not.to.match(/[\r\n]/);
      expect(message).to.include('JWT_SECRET_ENCODING=base64').and.to.include('JWT_SECRET is not Base64');
      expect(message).not.to.include('signing-key');
    });
  });

  describe('JWT_SECRET in production', () => {
    it('when NODE_ENV=production and JWT_SECRET is unset, then start-up stops naming JWT_SECRET', () => {
      expect(configErrorOf({ NODE_ENV: 'production' })).to.include('JWT_SECRET');
    });

    it('when NODE_ENV=production and JWT_SECRET is the placeholder, then start-up stops naming JWT_SECRET', () => {
      expect(configErrorOf({ NODE_ENV: 'production', JWT_SECRET: 'CHANGE_ME_TO_A_STRONG_SECRET' })).to.include(
        'JWT_SECRET',
      );
    });

    it('when NODE_ENV=production and JWT_SECRET has 31 characters, then start-up stops naming JWT_SECRET', () => {
      const message = configErrorOf({ NODE_ENV: 'production', JWT_SECRET: SECRET_32.slice(1) });
      expect(message).not.to.match(/[\r\n]/);
      expect(message).to.include('JWT_SECRET');
    });

    it('when NODE_ENV=production and a 32-character Base64 JWT_SECRET decodes to 24 bytes, then start-up stops naming JWT_SECRET', () => {
      const base64Of24Bytes = Buffer.alloc(24, 7).toString('base64');
      expect(base64Of24Bytes).to.have.length(32);
      expect(configErrorOf({ NODE_ENV: 'production', JWT_SECRET: base64Of24Bytes })).to.include('at least 32 bytes');
    });

    it('when NODE_ENV=production and a Base64 JWT_SECRET decodes to 32 bytes, then the config loads with it', () => {
      const base64Of32Bytes = Buffer.alloc(32, 7).toString('base64');
      expect(keyText(loadConfig({ NODE_ENV: 'production', JWT_SECRET: base64Of32Bytes }), 'base64')).to.equal(
        base64Of32Bytes,
      );
    });

    it('when NODE_ENV=production and JWT_SECRET has 32 characters, then the config loads with it', () => {
      expect(keyText(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_32 }))).to.equal(SECRET_32);
    });

    it('when NODE_ENV is not production, then the placeholder secret is accepted', () => {
      expect(keyText(loadConfig({ NODE_ENV: 'development' }))).to.equal('CHANGE_ME_TO_A_STRONG_SECRET');
    });

    it('when NODE_ENV=production and JWT_SECRET_PREVIOUS is short, then start-up stops naming JWT_SECRET_PREVIOUS, not the good JWT_SECRET', () => {
      const message = configErrorOf({
        NODE_ENV: 'production',
        JWT_SECRET: SECRET_32,
        JWT_SECRET_PREVIOUS: 'short-old-secret',
      });
      expect(message).to.include('JWT_SECRET_PREVIOUS must be set to a secret of at least 32 characters');
      expect(message.replaceAll('JWT_SECRET_PREVIOUS', '')).not.to.include('JWT_SECRET');
    });

    it('when JWT_SECRET_ENCODING=base64 and jjwt cannot decode JWT_SECRET_PREVIOUS, then start-up stops naming JWT_SECRET_PREVIOUS', () => {
      const secret = Buffer.alloc(48, 9).toString('base64');
      expect(
        configErrorOf({
          JWT_SECRET_ENCODING: 'base64',
          JWT_SECRET: secret,
          JWT_SECRET_PREVIOUS: 'old-signing-key-2025',
        }),
      ).to.include('JWT_SECRET_PREVIOUS is not Base64');
    });
  });

  describe('Redis Sentinel', () => {
    const SENTINELS = 's1:26379, s2:26380,10.0.0.3:26381';

    it('when REDIS_SENTINELS and REDIS_SENTINEL_MASTER are set, then the limiter follows that master group through the listed sentinels', () => {
      expect(loadConfig({ REDIS_SENTINELS: SENTINELS, REDIS_SENTINEL_MASTER: 'limits' }).rateLimit.redis).to.deep.equal(
        {
          kind: 'sentinel',
          sentinels: [
            { host: 's1', port: 26379 },
            { host: 's2', port: 26380 },
            { host: '10.0.0.3', port: 26381 },
          ],
          master: 'limits',
          password: undefined,
          sentinelPassword: undefined,
        },
      );
    });

    it('when REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD are set with sentinels, then the master and the sentinels get their own password', () => {
      const target = loadConfig({
        REDIS_SENTINELS: SENTINELS,
        REDIS_SENTINEL_MASTER: 'limits',
        REDIS_PASSWORD: 'm',
        REDIS_SENTINEL_PASSWORD: 's',
      }).rateLimit.redis;
      expect(target).to.include({ kind: 'sentinel', password: 'm', sentinelPassword: 's' });
    });

    const refused: Array<[when: string, env: Record<string, string>, names: string[]]> = [
      [
        'REDIS_URL and REDIS_SENTINELS are both set',
        { REDIS_URL: 'redis://cache:6379', REDIS_SENTINELS: SENTINELS, REDIS_SENTINEL_MASTER: 'limits' },
        ['REDIS_URL', 'REDIS_SENTINELS'],
      ],
      [
        'REDIS_SENTINELS is set without REDIS_SENTINEL_MASTER',
        { REDIS_SENTINELS: SENTINELS },
        ['REDIS_SENTINEL_MASTER'],
      ],
      [
        'REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS',
        { REDIS_SENTINEL_MASTER: 'limits' },
        ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINELS'],
      ],
      [
        'REDIS_PASSWORD is set with REDIS_URL',
        { REDIS_URL: 'redis://cache:6379', REDIS_PASSWORD: 'm' },
        ['REDIS_PASSWORD'],
      ],
      [
        'REDIS_SENTINEL_PASSWORD is set without sentinels',
        { REDIS_SENTINEL_PASSWORD: 's' },
        ['REDIS_SENTINEL_PASSWORD'],
      ],
      [
        'a sentinel entry has no port',
        { REDIS_SENTINELS: 's1:26379,s2', REDIS_SENTINEL_MASTER: 'limits' },
        ['REDIS_SENTINELS', '"s2"'],
      ],
      [
        'a sentinel port is 0',
        { REDIS_SENTINELS: 's1:0', REDIS_SENTINEL_MASTER: 'limits' },
        ['REDIS_SENTINELS', '"s1:0"'],
      ],
    ];

    for (const [when, env, names] of refused) {
      it(`when ${when}, then start-up stops with one line naming ${names.join(' and ')}`, () => {
        const message = configErrorOf(env);
        expect(message).not.to.match(/[\r\n]/);
        for (const name of names) expect(message).to.include(name);
      });
    }

    it('when REDIS_URL and REDIS_SENTINELS are both set, then the line says to choose one', () => {
      expect(
        configErrorOf({ REDIS_URL: 'redis://cache:6379', REDIS_SENTINELS: SENTINELS, REDIS_SENTINEL_MASTER: 'limits' }),
      ).to.include('REDIS_URL and REDIS_SENTINELS must not both be set');
    });

    it('when REDIS_SENTINELS and REDIS_SENTINEL_MASTER are set to empty, then the limit stays in memory', () => {
      expect(loadConfig({ REDIS_SENTINELS: '', REDIS_SENTINEL_MASTER: '' }).rateLimit.redis).to.equal(undefined);
    });
  });

  describe('immutability', () => {
    function unfrozenPaths(value: unknown, path: string): string[] {
      if (value === null || typeof value !== 'object') return [];
      const own = Object.isFrozen(value) ? [] : [path];
      return own.concat(...Object.entries(value).map(([key, child]) => unfrozenPaths(child, `${path}.${key}`)));
    }

    it('when the config is loaded, then every object in it is frozen', () => {
      expect(unfrozenPaths(loadConfig({ CORS_ORIGINS: 'https://a.example' }), 'config')).to.deep.equal([]);
    });

    it('when code tries to change the config, then it throws', () => {
      const config = loadConfig({});
      expect(() => (config.cors.origins as string[]).push('https://evil.example')).to.throw(TypeError);
      expect(() => Object.assign(config.services[0]!, { urls: ['http://evil'] })).to.throw(TypeError);
    });
  });
});
