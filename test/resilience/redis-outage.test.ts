import http from 'node:http';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send, statusWithin, type Sample } from '../helpers/http.js';
import { keysWithPrefix, startPrivateRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';
import { printSummary } from '../helpers/summary.js';
import { waitFor } from '../helpers/wait.js';

const WORKERS = 10;
/** A request taking longer than this counts as hung. */
const HANG_MS = 1000;

describe('Redis killed under load and restarted', function () {
  this.timeout(30_000);
  let redis: PrivateRedis | undefined;
  const fixture = useGateway({
    handler: (_request, response) => response.end('{}'),
    env: async () => {
      redis = await startPrivateRedis();
      return { REDIS_URL: redis.url, RATE_LIMIT_REDIS_PREFIX: uniquePrefix('outage'), RATE_LIMIT_MAX: '1000000' };
    },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });

  // Registered after useGateway's: runs once the gateway has closed.
  after(async () => {
    agent.destroy();
    await redis?.stop();
  });

  const sharedKeys = (): Promise<string[]> => keysWithPrefix(redis!.url, fixture.gateway.config.rateLimit.redisPrefix);

  /** `WORKERS` concurrent loops of requests until `untilMs` after the start; each request bounded by HANG_MS. */
  async function load(started: number, untilMs: number, samples: Sample[]): Promise<void> {
    const worker = async (): Promise<void> => {
      while (Date.now() - started < untilMs) {
        const at = Date.now() - started;
        const status = await statusWithin({ port: fixture.gateway.port, path: '/api/v1/products/1', agent }, HANG_MS);
        samples.push({ at, ms: Date.now() - started - at, status });
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
  }

  it('when Redis is killed and restarted during a stream of concurrent requests, then none fails or hangs and shared limits resume', async () => {
    await waitFor(() => fixture.gateway.logs.some((line) => line.redis === 'ready'), 5000);
    const started = Date.now();
    const samples: Sample[] = [];
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 800));
      await redis!.stop(); // SIGKILL: no goodbye to the clients
      const killedAt = Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await redis!.start(); // empty: nothing was persisted
      return { killedAt, restartedAt: Date.now() - started };
    })();
    await load(started, 3500, samples);
    const { killedAt, restartedAt } = await outage;

    const during = samples.filter((sample) => sample.at >= killedAt && sample.at < restartedAt);
    const failed = samples.filter((sample) => sample.status !== 200);
    const slowest = Math.max(...samples.map((sample) => sample.ms));
    printSummary(
      `${samples.length} requests, ${during.length} while Redis was down, slowest ${slowest} ms, ${failed.length} not 200`,
    );
    expect(failed, 'requests that failed or hung').to.deep.equal([]);
    expect(during.length, 'requests while Redis was down').to.be.above(WORKERS);
    expect(slowest).to.be.below(HANG_MS);

    // Shared limits resume: the restarted, empty Redis gets this client's key again.
    await waitFor(
      () => fixture.gateway.logs.some((line) => String(line.msg).includes('Redis answers again')),
      10_000,
    ).catch(() => {});
    for (let i = 0; i < 5 && (await sharedKeys()).length === 0; i += 1) {
      await send({ port: fixture.gateway.port, path: '/api/v1/products/1', agent });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(await sharedKeys()).to.have.length(1);
    expect(
      fixture.gateway.logs.filter((line) => String(line.msg).includes('falling back')),
      'fallbacks logged',
    ).to.have.length(1);
    expect(
      fixture.gateway.logs.filter((line) => String(line.msg).includes('Redis answers again')),
      'resumptions logged',
    ).to.have.length(1);
  });
});
