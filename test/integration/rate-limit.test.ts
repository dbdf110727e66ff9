import http from 'node:http';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { useGateway, useUpstream } from '../helpers/fixtures.js';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { REDIS_URL, keysWithPrefix, startPrivateRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';
import { AUTH_ENV, accessToken, epochSeconds } from '../helpers/tokens.js';
import { waitFor } from '../helpers/wait.js';

const statuses = (responses: TestResponse[]): number[] => responses.map((response) => response.status);
const count = (values: number[], wanted: number): number => values.filter((value) => value === wanted).length;

describe('rate limiting, in memory (no REDIS_URL)', () => {
  const fixture = useUpstream();

  async function withGateway(
    env: Record<string, string>,
    test: (gateway: RunningGateway) => Promise<void>,
  ): Promise<void> {
    const gateway = await startGateway({
      ...allServicesAt(fixture.upstream.url),
      RATE_LIMIT_WINDOW_MS: '60000',
      ...env,
    });
    try {
      await test(gateway);
    } finally {
      await gateway.close();
    }
  }

  it('when a client sends one request more than RATE_LIMIT_MAX, then exactly the limit passes and the next gets 429', () =>
    withGateway({ RATE_LIMIT_MAX: '3' }, async (gateway) => {
      const responses: TestResponse[] = [];
      for (let i = 0; i < 4; i += 1) responses.push(await send({ port: gateway.port, path: '/api/v1/products/1' }));
      expect(statuses(responses)).to.deep.equal([200, 200, 200, 429]);
      expect(responses.map((response) => response.headers['ratelimit-remaining'])).to.deep.equal(['2', '1', '0', '0']);
      for (const response of responses) {
        expect(response.headers['ratelimit-limit']).to.equal('3');
        expect(Number(response.headers['ratelimit-reset'])).to.be.within(1, 60);
        expect(response.headers).not.to.have.property('x-ratelimit-limit');
      }
      const limited = responses[3]!;
      const body = limited.json<{ success: boolean; error: { code: string; correlationId: string } }>();
      expect(body.error.code).to.equal('TOO_MANY_REQUESTS');
      expect(body.error.correlationId).to.equal(limited.headers['x-correlation-id']);
      expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
    }));

  it('when 20 requests arrive at once with a limit of 5, then exactly 5 pass', () =>
    withGateway({ RATE_LIMIT_MAX: '5' }, async (gateway) => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => send({ port: gateway.port, path: '/api/v1/products/1' })),
      );
      expect(count(statuses(responses), 200)).to.equal(5);
      expect(count(statuses(responses), 429)).to.equal(15);
    }));

  it('when TRUST_PROXY=false and a client varies X-Forwarded-For, then it still shares one bucket', () =>
    withGateway({ RATE_LIMIT_MAX: '2', TRUST_PROXY: 'false' }, async (gateway) => {
      const responses: TestResponse[] = [];
      for (const ip of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) {
        responses.push(
          await send({ port: gateway.port, path: '/api/v1/products/1', headers: { 'x-forwarded-for': ip } }),
        );
      }
      expect(statuses(responses)).to.deep.equal([200, 200, 429]);
    }));

  it('when TRUST_PROXY=true, then clients named by the proxy get separate buckets', () =>
    withGateway({ RATE_LIMIT_MAX: '1', TRUST_PROXY: 'true' }, async (gateway) => {
      const ask = (forwardedFor: string): Promise<number> =>
        send({ port: gateway.port, path: '/api/v1/products/1', headers: { 'x-forwarded-for': forwardedFor } }).then(
          (r) => r.status,
        );
      expect(await ask('10.0.0.1')).to.equal(200);
      expect(await ask('10.0.0.2')).to.equal(200);
      expect(await ask('10.0.0.1')).to.equal(429);
      // The proxy appends the address it saw; a client-written entry before it does not open a new bucket.
      expect(await ask('9.9.9.9, 10.0.0.1')).to.equal(429);
    }));

  it('when one client spends its login budget (RATE_LIMIT_AUTH_MAX), then login gets 429 while other paths and other clients are still served', () =>
    withGateway({ RATE_LIMIT_MAX: '100', RATE_LIMIT_AUTH_MAX: '3', TRUST_PROXY: 'true' }, async (gateway) => {
      const from = (ip: string, path: string): Promise<TestResponse> =>
        send({
          port: gateway.port,
          method: 'POST',
          path,
          headers: { 'x-forwarded-for': ip, 'content-type': 'application/json' },
          body: '{}',
        });
      const logins: TestResponse[] = [];
      for (let i = 0; i < 4; i += 1) logins.push(await from('10.1.0.1', '/api/v1/auth/login'));
      expect(statuses(logins)).to.deep.equal([200, 200, 200, 429]);
      // The route limit is nearer to exhaustion than the IP limit: the headers describe it.
      expect(
        logins.map((response) => [response.headers['ratelimit-limit'], response.headers['ratelimit-remaining']]),
      ).to.deep.equal([
        ['3', '2'],
        ['3', '1'],
        ['3', '0'],
        ['3', '0'],
      ]);
      expect(Number(logins[3]!.headers['retry-after'])).to.be.within(1, 60);
      expect((await from('10.1.0.1', '/api/v1/products/1')).headers['ratelimit-limit']).to.equal('100');
      expect((await from('10.1.0.1', '/api/v1/products/1')).status).to.equal(200);
      expect((await from('10.1.0.1', '/api/v1/auth/register')).status).to.equal(200);
      expect((await from('10.1.0.2', '/api/v1/auth/login')).status).to.equal(200);
    }));

  it('when one user sends tokens from several addresses, then they share one user budget (RATE_LIMIT_USER_MAX)', () =>
    withGateway(
      { ...AUTH_ENV, RATE_LIMIT_MAX: '100', RATE_LIMIT_USER_MAX: '3', TRUST_PROXY: 'true' },
      async (gateway) => {
        // Two tokens of user 42 (different iat), four addresses.
        const tokens = [accessToken({ userId: 42 }), accessToken({ userId: 42, iat: epochSeconds(-60) })];
        const responses: TestResponse[] = [];
        for (let i = 0; i < 4; i += 1) {
          const headers = { authorization: `Bearer ${tokens[i % 2]!}`, 'x-forwarded-for': `10.2.0.${i}` };
          responses.push(await send({ port: gateway.port, path: '/api/v1/products/1', headers }));
        }
        expect(statuses(responses)).to.deep.equal([200, 200, 200, 429]);
        expect(responses.map((response) => response.headers['ratelimit-remaining'])).to.deep.equal([
          '2',
          '1',
          '0',
          '0',
        ]);
        expect(responses[3]!.json<{ error: { code: string } }>().error.code).to.equal('TOO_MANY_REQUESTS');
        expect(Number(responses[3]!.headers['retry-after'])).to.be.within(1, 60);
        const limited = await gateway.gateway.metrics.registry.getSingleMetricAsString('gateway_rate_limited_total');
        expect(limited).to.include('gateway_rate_limited_total{limit="user"} 1');
      },
    ));

  it('when many users share one address (a NAT), then each user has a budget of its own', () =>
    withGateway({ ...AUTH_ENV, RATE_LIMIT_MAX: '100', RATE_LIMIT_USER_MAX: '2' }, async (gateway) => {
      const ask = (userId: number): Promise<number> =>
        send({
          port: gateway.port,
          path: '/api/v1/products/1',
          headers: { authorization: `Bearer ${accessToken({ userId })}` },
        }).then((r) => r.status);
      const results: number[] = [];
      for (const userId of [1, 2, 3, 1, 2, 3, 1]) results.push(await ask(userId));
      expect(results).to.deep.equal([200, 200, 200, 200, 200, 200, 429]);
    }));

  it('when the limit is spent, then paths outside /api/ are still served', () =>
    withGateway({ RATE_LIMIT_MAX: '1' }, async (gateway) => {
      await send({ port: gateway.port, path: '/api/v1/products/1' });
      expect((await send({ port: gateway.port, path: '/api/v1/products/1' })).status).to.equal(429);
      expect((await send({ port: gateway.port, path: '/health' })).status).to.equal(200);
      expect((await send({ port: gateway.port, path: '/health/ready' })).status).to.equal(200);
    }));
});

describe('rate limiting shared through Redis', function () {
  this.timeout(60_000);
  const fixture = useUpstream();

  afterEach(async () => {
    await killSpawnedGateways();
  });

  it('when three gateway processes share one Redis with a limit of 10, then exactly 10 of 30 concurrent requests pass', async () => {
    const env = {
      ...allServicesAt(fixture.upstream.url),
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: uniquePrefix('replicas'),
      RATE_LIMIT_MAX: '10',
      RATE_LIMIT_WINDOW_MS: '60000',
      // Exactness holds while Redis answers in time; a loaded test machine must not turn a slow reply into a fallback.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '5000',
    };
    const replicas = await Promise.all([spawnGateway(env), spawnGateway(env), spawnGateway(env)]);
    // Each replica must be on Redis before the burst, or it would count in memory.
    await Promise.all(replicas.map((replica) => waitFor(() => replica.logs.some((line) => line.redis === 'ready'))));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 30 });
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => send({ port: replicas[i % 3]!.port, path: '/api/v1/products/1', agent })),
    );
    agent.destroy();
    expect(count(statuses(responses), 200)).to.equal(10);
    expect(count(statuses(responses), 429)).to.equal(20);
  });

  it('when three gateway processes share one Redis with a user limit of 10, then exactly 10 of 30 concurrent requests of one user pass, whatever the address', async () => {
    const env = {
      ...allServicesAt(fixture.upstream.url),
      ...AUTH_ENV,
      TRUST_PROXY: 'true',
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: uniquePrefix('replicas-user'),
      RATE_LIMIT_MAX: '1000',
      RATE_LIMIT_USER_MAX: '10',
      RATE_LIMIT_WINDOW_MS: '60000',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '5000',
    };
    const replicas = await Promise.all([spawnGateway(env), spawnGateway(env), spawnGateway(env)]);
    await Promise.all(replicas.map((replica) => waitFor(() => replica.logs.some((line) => line.redis === 'ready'))));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 30 });
    const token = accessToken({ userId: 7 });
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send({
          port: replicas[i % 3]!.port,
          path: '/api/v1/products/1',
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `10.3.0.${i}` },
          agent,
        }),
      ),
    );
    agent.destroy();
    expect(count(statuses(responses), 200)).to.equal(10);
    expect(count(statuses(responses), 429)).to.equal(20);
  });

  it("when a user's token is already verified, then the IP and user limits of each request are counted in one Redis round trip", async () => {
    const privateRedis = await startPrivateRedis();
    const prefix = uniquePrefix('one-trip');
    const gateway = await startGateway({
      ...allServicesAt(fixture.upstream.url),
      ...AUTH_ENV,
      REDIS_URL: privateRedis.url,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      RATE_LIMIT_MAX: '100',
      RATE_LIMIT_USER_MAX: '3',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '5000',
    });
    const client = new Redis(privateRedis.url);
    const scriptCalls = async (): Promise<number> => {
      const stats = await client.info('commandstats');
      return [...stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)].reduce((sum, [, n]) => sum + Number(n), 0);
    };
    try {
      await waitFor(() => gateway.logs.some((line) => line.redis === 'ready'));
      const headers = { authorization: `Bearer ${accessToken({ userId: 8 })}` };
      const ask = (): Promise<number> =>
        send({ port: gateway.port, path: '/api/v1/products/1', headers }).then((response) => response.status);
      // Redis learns the script on a first request (EVALSHA refused, then EVAL): one without a token.
      expect((await send({ port: gateway.port, path: '/api/v1/products/1' })).status).to.equal(401);
      // The first request with the token verifies it: IP limit before auth, user limit after it, two calls.
      const before = await scriptCalls();
      expect(await ask()).to.equal(200);
      expect((await scriptCalls()) - before).to.equal(2);
      // Every later one finds it cached: one call counts both, and the user's limit still holds.
      const results: number[] = [];
      for (let i = 0; i < 3; i += 1) results.push(await ask());
      expect(results).to.deep.equal([200, 200, 429]);
      expect((await scriptCalls()) - before).to.equal(2 + 3);
      expect(await client.get(`${prefix}:user:8`)).to.equal('4');
      expect(await client.get(`${prefix}:ip:127.0.0.1`)).to.equal('5');
    } finally {
      client.disconnect();
      await gateway.close();
      await privateRedis.stop();
    }
  });

  it('when one client is counted 1000 times at the default limit of 1000, then all of its keys together hold under 1 KB of Redis', async () => {
    const prefix = uniquePrefix('footprint');
    const gateway = await startGateway({
      ...allServicesAt(fixture.upstream.url),
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      RATE_LIMIT_REDIS_TIMEOUT_MS: '5000',
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    try {
      await waitFor(() => gateway.logs.some((line) => line.redis === 'ready'));
      const results: TestResponse[] = [];
      for (let i = 0; i < 1000; i += 20) {
        results.push(
          ...(await Promise.all(
            Array.from({ length: 20 }, () => send({ port: gateway.port, path: '/api/v1/products/1', agent })),
          )),
        );
      }
      expect(count(statuses(results), 200)).to.equal(1000);
      expect((await send({ port: gateway.port, path: '/api/v1/products/1', agent })).status).to.equal(429);
      const client = new Redis(REDIS_URL);
      try {
        const keys = await client.keys(`${prefix}:*`);
        expect(keys).to.deep.equal([`${prefix}:ip:127.0.0.1`]);
        let bytes = 0;
        for (const key of keys) bytes += (await client.memory('USAGE', key)) ?? 0;
        expect(bytes).to.be.above(0).and.below(1024);
      } finally {
        client.disconnect();
      }
    } finally {
      agent.destroy();
      await gateway.close();
    }
  });

  describe('when Redis goes away and comes back', () => {
    let privateRedis: PrivateRedis | undefined;
    const outage = useGateway({
      env: async () => {
        privateRedis = await startPrivateRedis();
        return {
          REDIS_URL: privateRedis.url,
          RATE_LIMIT_REDIS_PREFIX: uniquePrefix('fallback'),
          RATE_LIMIT_MAX: '1000',
        };
      },
    });
    // Registered after useGateway's: stops Redis once the gateway has closed.
    after(() => privateRedis?.stop());

    async function timedRequest(): Promise<{ status: number; ms: number }> {
      const started = Date.now();
      const response = await send({ port: outage.gateway.port, path: '/api/v1/products/1' });
      return { status: response.status, ms: Date.now() - started };
    }

    const redisKeys = (): Promise<string[]> =>
      keysWithPrefix(privateRedis!.url, outage.gateway.config.rateLimit.redisPrefix);

    it('then requests keep being served promptly from memory, the change is logged once each way, and shared limits resume', async () => {
      await waitFor(() => outage.gateway.logs.some((line) => line.redis === 'ready'));
      expect((await timedRequest()).status).to.equal(200);
      expect(await redisKeys()).to.have.length(1);

      await privateRedis!.stop();
      const whileDown: Array<{ status: number; ms: number }> = [];
      for (let i = 0; i < 10; i += 1) whileDown.push(await timedRequest());
      expect(whileDown.map((result) => result.status)).to.deep.equal(Array(10).fill(200));
      expect(Math.max(...whileDown.map((result) => result.ms))).to.be.below(1000);
      const fallbacks = outage.gateway.logs.filter((line) => String(line.msg).includes('falling back'));
      expect(fallbacks).to.have.length(1);
      const store = await outage.gateway.gateway.metrics.registry.getSingleMetricAsString('gateway_rate_limiter_store');
      expect(store).to.include('gateway_rate_limiter_store{store="memory-fallback"} 1');

      await privateRedis!.start();
      const fellBackAt = fallbacks[0]!.time as number;
      await waitFor(
        () => outage.gateway.logs.some((line) => line.redis === 'ready' && (line.time as number) > fellBackAt),
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the retry pause after the last failure
      expect((await timedRequest()).status).to.equal(200);
      expect(await redisKeys()).to.have.length(1);
      expect(outage.gateway.logs.filter((line) => String(line.msg).includes('Redis answers again'))).to.have.length(1);
    });
  });
});
