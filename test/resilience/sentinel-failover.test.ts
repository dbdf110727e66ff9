import http from 'node:http';
import { expect } from 'chai';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send, statusWithin, type Sample } from '../helpers/http.js';
import { keysWithPrefix, uniquePrefix } from '../helpers/redis.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/sentinel.js';
import { printSummary } from '../helpers/summary.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

const LIMIT = 10;
const BURST = 30;
/** Concurrent clients of the load, each with its own address, spread over both gateways. */
const WORKERS = 6;
/** A request taking longer than this counts as hung. */
const HANG_MS = 1000;
/** The load stops once both gateways count in Redis again, and in any case after this. */
const LOAD_MAX_MS = 15_000;
const PATH = '/api/v1/products/1';

const count = (statuses: Array<number | string>, status: number): number =>
  statuses.filter((value) => value === status).length;
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
    const responses = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        send({ port: gateways[i % 2]!.port, path: PATH, headers: { 'x-forwarded-for': client }, agent }),
      ),
    );
    return responses.map((response) => response.status);
  }

  /** The time of the first log line of `gateway` after `since` whose message contains `text`. */
  function loggedAt(gateway: RunningGateway, text: string, since: number): number | undefined {
    return gateway.logs.find((line) => (line.time as number) >= since && message(line).includes(text))?.time as
      number | undefined;
  }

  it('when two gateways follow the Sentinel master, then 30 concurrent requests over both with a limit of 10 let exactly 10 through', async () => {
    const statuses = await burst('10.0.0.1');
    expect(count(statuses, 200)).to.equal(LIMIT);
    expect(count(statuses, 429)).to.equal(BURST - LIMIT);
  });

  /**
   * True once `gateway` is connected to the master on `port` since `since` and counts in Redis (not on its fallback).
   */
  function countsOn(gateway: RunningGateway, port: number, since: number): boolean {
    const recent = gateway.logs.filter((line) => (line.time as number) >= since);
    const ready = recent.filter((line) => line.redis === 'ready').at(-1);
    const fellBack = recent.findLastIndex((line) => message(line).includes('falling back'));
    const resumed = recent.findLastIndex((line) => message(line).includes('Redis answers again'));
    return ready?.master === `127.0.0.1:${port}` && fellBack <= resumed;
  }

  /**
   * Runs `WORKERS` clients over both gateways; after 1 s `event` moves the master to `port`. The
   * load goes on until both gateways count on that master, and 500 ms beyond (the return must be
   * smooth too), bounded by LOAD_MAX_MS. Prints the timeline and returns what it saw.
   */
  async function underLoad(
    what: string,
    event: () => Promise<void>,
    port: number,
  ): Promise<{ samples: Sample[]; eventAt: number; backAt: number | undefined }> {
    const sentinelGroup = group!;
    const started = Date.now();
    let eventAt = Number.POSITIVE_INFINITY;
    let namedAt: number | undefined;
    const change = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Taken before the event: the gateways may see the connection drop before this process sees it done.
      eventAt = Date.now();
      await event();
      await waitForAsync(async () => (await sentinelGroup.currentMasterPort()) === port, LOAD_MAX_MS);
      namedAt = Date.now();
    })();

    const samples: Sample[] = [];
    let backAt: number | undefined;
    const worker = async (index: number): Promise<void> => {
      const gatewayPort = gateways[index % 2]!.port;
      while (Date.now() - started < LOAD_MAX_MS && (backAt === undefined || Date.now() - backAt < 500)) {
        const at = Date.now();
        const status = await statusWithin(
          { port: gatewayPort, path: PATH, headers: { 'x-forwarded-for': `10.1.0.${index}` }, agent },
          HANG_MS,
        );
        samples.push({ at, ms: Date.now() - at, status });
        if (
          backAt === undefined &&
          namedAt !== undefined &&
          gateways.every((gateway) => countsOn(gateway, port, eventAt))
        )
          backAt = Date.now();
      }
    };
    await Promise.all([change, ...Array.from({ length: WORKERS }, (_, index) => worker(index))]);

    const after = (time: number | undefined): string => (time === undefined ? 'never' : `+${time - eventAt} ms`);
    printSummary(`${what}; Sentinel named the new master at ${after(namedAt)}`);
    gateways.forEach((gateway, index) => {
      const fellBack = loggedAt(gateway, 'falling back', eventAt);
      const moved = gateway.logs.find((line) => (line.time as number) >= eventAt && line.master === `127.0.0.1:${port}`)
        ?.time as number | undefined;
      const resumed = loggedAt(gateway, 'Redis answers again', eventAt);
      const inMemory = gateway.logs.filter(
        (line) =>
          line.path === PATH &&
          message(line) === 'request completed' &&
          fellBack !== undefined &&
          (line.time as number) >= fellBack &&
          (resumed === undefined || (line.time as number) < resumed),
      ).length;
      printSummary(
        `gateway ${index + 1}: fell back ${after(fellBack)}, connected to the new master ${after(moved)}, ` +
          `counted in Redis again ${after(resumed)}, ${inMemory} requests counted only in its memory`,
      );
    });
    const slowest = Math.max(...samples.map((sample) => sample.ms));
    const during = samples.filter(
      (sample) => sample.at >= eventAt && (backAt === undefined || sample.at < backAt),
    ).length;
    printSummary(`${samples.length} requests under load, ${during} during the failover, slowest ${slowest} ms`);
    return { samples, eventAt, backAt };
  }

  /**
   * Asserts what every failover must give: all answered in time, each gateway falling back and
   * returning once (logged once each way), both back on Redis, a fresh client's limit exact on `port`.
   */
  async function expectSmoothFailover(
    run: { samples: Sample[]; eventAt: number; backAt: number | undefined },
    client: string,
    port: number,
  ): Promise<void> {
    expect(
      run.samples.filter((sample) => sample.status !== 200 && sample.status !== 429),
      'requests that failed or hung',
    ).to.deep.equal([]);
    expect(Math.max(...run.samples.map((sample) => sample.ms))).to.be.below(HANG_MS);
    expect(run.backAt, 'both gateways counting on the new master').not.to.equal(undefined);
    expect(
      run.samples.filter((sample) => sample.at >= run.eventAt && sample.at < run.backAt!).length,
      'requests during the failover',
    ).to.be.above(WORKERS);
    for (const gateway of gateways) {
      const since = gateway.logs.filter((line) => (line.time as number) >= run.eventAt);
      expect(
        since.filter((line) => message(line).includes('falling back')),
        'fallbacks logged',
      ).to.have.length(1);
      expect(
        since.filter((line) => message(line).includes('Redis answers again')),
        'resumptions logged',
      ).to.have.length(1);
    }
    for (const gateway of gateways) {
      const store = await gateway.gateway.metrics.registry.getSingleMetricAsString('gateway_rate_limiter_store');
      expect(store).to.include('gateway_rate_limiter_store{store="redis"} 1');
    }
    // A fresh client: its count starts on the new master, shared by both gateways and exact.
    const statuses = await burst(client);
    expect(count(statuses, 200)).to.equal(LIMIT);
    expect(count(statuses, 429)).to.equal(BURST - LIMIT);
    expect(await keysWithPrefix(`redis://127.0.0.1:${port}`, prefix), 'counts on the new master').not.to.deep.equal([]);
  }

  it('when the master is killed under load, then no request fails or stalls while the replica is promoted, and afterwards the limits are shared and exact on the new master', async () => {
    const { replicaPort } = group!;
    const run = await underLoad('master killed', () => group!.killMaster(), replicaPort);
    await expectSmoothFailover(run, '10.0.0.2', replicaPort);
  });

  it('when the old master is back as a replica and a switchover promotes it again under load, then no request fails and the limits are exact on it', async () => {
    const { masterPort } = group!;
    await group!.restartMaster();
    // The sentinels wait 8 s (4 hello periods) before turning a returning master into a replica.
    const sentinel = await group!.sentinelSeeingReplica(masterPort, 20_000);
    const run = await underLoad('switchover requested', () => group!.switchover(sentinel), masterPort);
    await expectSmoothFailover(run, '10.0.0.3', masterPort);
    // The gateways follow Sentinel's word, not the old master's demotion 8 s or more later.
    const movedAt = gateways.map(
      (gateway) =>
        gateway.logs.find((line) => (line.time as number) >= run.eventAt && line.master === `127.0.0.1:${masterPort}`)!
          .time as number,
    );
    expect(Math.max(...movedAt) - run.eventAt, 'ms from the switchover to both gateways on the new master').to.be.below(
      5000,
    );
  });
});
