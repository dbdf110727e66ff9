import { expect } from 'chai';
import { Redis } from 'ioredis';
import { allServicesAt } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTlsRedis, type TlsRedis } from '../helpers/tls-redis.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

describe('shared rate limiting over TLS (rediss://)', function () {
  this.timeout(30_000);
  let redis: TlsRedis | undefined;
  let upstream: TestUpstream | undefined;

  before(async () => {
    redis = await startTlsRedis();
    upstream = await startUpstream((_request, response) => response.end('{}'));
  });

  afterEach(async () => {
    await killSpawnedGateways();
  });

  after(async () => {
    await upstream?.close();
    await redis?.stop();
  });

  /** Keys under `prefix` in the TLS Redis, read over a verified TLS connection of the test's own. */
  async function tlsKeys(prefix: string): Promise<string[]> {
    const client = new Redis(redis!.url, { tls: { ca: redis!.ca }, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      return await client.keys(`${prefix}:*`);
    } finally {
      client.disconnect();
    }
  }

  it('when REDIS_URL is rediss:// and the gateway trusts the certificate (NODE_EXTRA_CA_CERTS), then the limit is counted in that Redis', async () => {
    const prefix = uniquePrefix('tls');
    const gateway = await spawnGateway({
      ...allServicesAt(upstream!.url),
      REDIS_URL: redis!.url,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      RATE_LIMIT_MAX: '2',
      NODE_EXTRA_CA_CERTS: redis!.caFile,
    });
    await waitFor(() => gateway.logs.some((line) => line.redis === 'ready'), 10_000);
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await send({ port: gateway.port, path: '/api/v1/products/1' })).status);
    expect(statuses).to.deep.equal([200, 200, 429]);
    expect(await tlsKeys(prefix)).to.have.length(1);
  });

  it('when REDIS_URL is rediss:// and the certificate is not trusted, then the gateway never connects and serves from memory', async () => {
    const prefix = uniquePrefix('tls-untrusted');
    const gateway = await spawnGateway({
      ...allServicesAt(upstream!.url),
      REDIS_URL: redis!.url,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'debug',
    });
    await waitFor(() => gateway.logs.some((line) => line.msg === 'redis connection error'), 10_000);
    expect((await send({ port: gateway.port, path: '/api/v1/products/1' })).status).to.equal(200);
    expect(gateway.logs.find((line) => line.msg === 'redis connection error')?.code, 'the reason').to.match(/CERT/);
    expect(gateway.logs.some((line) => line.redis === 'ready')).to.equal(false);
    expect(gateway.logs.filter((line) => String(line.msg).includes('falling back'))).to.have.length(1);
    expect(await tlsKeys(prefix)).to.deep.equal([]);
  });
});
