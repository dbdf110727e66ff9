import http from 'node:http';
import { expect } from 'chai';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { keysWithPrefix, uniquePrefix } from '../helpers/redis.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/sentinel.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

/** One request of the load: when it started (epoch ms), how long it took, how it ended. */
interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly status: number | string;
}

const LIMIT = 10;
const BURST = 30;
/** Concurrent clients of the load, each with its own address, spread over both gateways. */
const WORKERS = 6;
/** A request taking longer than this counts as hung. */
const HANG_MS = 1000;
/** The load stops once both gateways count in Redis again, and in any case after this. */
const LOAD_MAX_MS = 15_000;
const PATH = '/api/v1/products/1';

const count = (statuses: Array<number | string>, status: number): number => statuses.filter((value) => value === status).length;
const message = (line: Record<string, unknown>): string => String(line.msg);

describe('Redis Sentinel failover under load', function () {
  this.timeout(60_000);
  let group: SentinelGroup | undefined;
  let upstream: TestUpstream | undefined;
  let gateways: RunningGateway[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: BURST });
  const prefix = uniquePrefix('sentinel');

  before(async () => {
    group = await startSentinelGroup();
    upstream = await startUpstream((_request, response) => response.end('{}'));
    const env = {
      ...allServicesAt(upstream.url),
      REDIS_SENTINELS: group.sentinels,
      REDIS_SENTINEL_MASTER: group.name,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      RATE_LIMIT_MAX: String(LIMIT),
      RATE_LIMIT_WINDOW_MS: '60000',
      // Under the hang bound, and loose enough that a busy test machine does not read as Redis down.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '500',
      // Each client of the drill names itself with X-Forwarded-For.
      TRUST_PROXY: 'true',
    };
    gateways = [await startGateway(env), await startGateway(env)];
    await Promise.all(gateways.map((gateway) => waitFor(() => gateway.logs.some((line) => line.redis === 'ready'))));
  });

  after(async () => {
    agent.destroy();
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await upstream?.close();
    await group?.stop();
  });

  /** `BURST` concurrent requests from `client`, alternating between the gateways: their statuses. */
  async function burst(client: string): Promise<number[]> {
    const responses = await Promise.all(Array.from({ length: BURST }, (_, i) =>
      send({ port: gateways[i % 2]!.port, path: PATH, headers: { 'x-forwarded-for': client }, agent })));
    return responses.map((response) => response.status);
  }

  /** One request bounded by HANG_MS: its status, 'hung', or the socket error code. */
  async function boundedRequest(port: number, client: string): Promise<number | string> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('hung'), HANG_MS);
    });
    const answered = send({ port, path: PATH, headers: { 'x-forwarded-for': client }, agent })
      .then((response) => response.status, (error: NodeJS.ErrnoException) => error.code ?? 'error');
    try {
      return await Promise.race([answered, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The time of the first log line of `gateway` after `since` whose message contains `text`. */
  function loggedAt(gateway: RunningGateway, text: string, since: number): number | undefined {
    return gateway.logs.find((line) => (line.time as number) >= since && message(line).includes(text))?.time as number | undefined;
  }

  it('when two gateways follow the Sentinel master, then 30 concurrent requests over both with a limit of 10 let exactly 10 through', async () => {
    const statuses = await burst('10.0.0.1');
    expect(count(statuses, 200)).to.equal(LIMIT);
    expect(count(statuses, 429)).to.equal(BURST - LIMIT);
  });

  it('when the master is killed under load, then no request fails or stalls while the replica is promoted, and afterwards the limits are shared and exact on the new master', async () => {
    const sentinelGroup = group!;
    const started = Date.now();
    let killedAt = Number.POSITIVE_INFINITY;
    let promotedAt: number | undefined;
    const backOnRedis = (): boolean => gateways.every((gateway) => loggedAt(gateway, 'Redis answers again', killedAt) !== undefined);

    const failover = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Taken before the kill: the gateways see the connection drop before this process sees the exit.
      killedAt = Date.now();
      await sentinelGroup.killMaster();
      await waitForAsync(async () => (await sentinelGroup.currentMasterPort()) === sentinelGroup.replicaPort, LOAD_MAX_MS);
      promotedAt = Date.now();
    })();

    const samples: Sample[] = [];
    let backAt: number | undefined;
    const worker = async (index: number): Promise<void> => {
      const port = gateways[index % 2]!.port;
      // Until both gateways are back on Redis, and a little beyond: the return must be smooth too.
      while (Date.now() - started < LOAD_MAX_MS && (backAt === undefined || Date.now() - backAt < 500)) {
        const at = Date.now();
        const status = await boundedRequest(port, `10.1.0.${index}`);
        samples.push({ at, ms: Date.now() - at, status });
        if (backAt === undefined && backOnRedis()) backAt = Date.now();
      }
    };
    await Promise.all([failover, ...Array.from({ length: WORKERS }, (_, index) => worker(index))]);

    const failed = samples.filter((sample) => sample.status !== 200 && sample.status !== 429);
    const slowest = Math.max(...samples.map((sample) => sample.ms));
    const during = samples.filter((sample) => sample.at >= killedAt && (backAt === undefined || sample.at < backAt));
    const timeline = gateways.map((gateway, index) => {
      const fellBack = loggedAt(gateway, 'falling back', killedAt);
      const moved = loggedAt(gateway, 'redis master moved', killedAt);
      const resumed = loggedAt(gateway, 'Redis answers again', killedAt);
      const inMemory = gateway.logs.filter((line) => line.path === PATH && message(line) === 'request completed'
        && fellBack !== undefined && (line.time as number) >= fellBack && (resumed === undefined || (line.time as number) < resumed)).length;
      const after = (time: number | undefined): string => (time === undefined ? 'never' : `+${time - killedAt} ms`);
      return `gateway ${index + 1}: fell back ${after(fellBack)}, connected to the new master ${after(moved)}, `
        + `counted in Redis again ${after(resumed)}, ${inMemory} requests counted only in its memory`;
    });
    console.log(`      master killed; Sentinel named the replica master at +${(promotedAt ?? Number.NaN) - killedAt} ms`);
    for (const line of timeline) console.log(`      ${line}`);
    console.log(`      ${samples.length} requests under load, ${during.length} during the failover, slowest ${slowest} ms, ${failed.length} neither 200 nor 429`);

    expect(failed, 'requests that failed or hung').to.deep.equal([]);
    expect(slowest).to.be.below(HANG_MS);
    expect(during.length, 'requests during the failover').to.be.above(WORKERS);
    expect(backAt, 'both gateways counting in Redis again').not.to.equal(undefined);
    for (const gateway of gateways) {
      expect(gateway.logs.filter((line) => (line.time as number) >= killedAt && message(line).includes('falling back')), 'fallbacks logged').to.have.length(1);
      expect(gateway.logs.filter((line) => (line.time as number) >= killedAt && message(line).includes('Redis answers again')), 'resumptions logged').to.have.length(1);
    }
    const store = await gateways[0]!.gateway.metrics.registry.getSingleMetricAsString('gateway_rate_limiter_store');
    expect(store).to.include('gateway_rate_limiter_store{store="redis"} 1');

    // A fresh client: its count starts on the new master, shared by both gateways and exact.
    const statuses = await burst('10.0.0.2');
    expect(count(statuses, 200)).to.equal(LIMIT);
    expect(count(statuses, 429)).to.equal(BURST - LIMIT);
    expect(await keysWithPrefix(`redis://127.0.0.1:${sentinelGroup.replicaPort}`, prefix), 'counts on the promoted replica').not.to.deep.equal([]);
  });
});
