import http from 'node:http';
import { expect } from 'chai';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { send } from '../helpers/http.js';
import { startInstances, type TestInstances } from '../helpers/instances.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';

const SERVICE = 'products.shop.test';
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const LOAD_MS = 20_000;
const KILL_AT_MS = 5_000;

interface Outcome {
  readonly method: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status: number | string;
}

describe('an instance killed under load (the built gateway, full onion, instances found through DNS)', function () {
  this.timeout(LOAD_MS + 30_000);
  let dns: TestDnsServer;
  let fleet: TestInstances;

  before(async () => {
    fleet = await startInstances(ADDRESSES);
    dns = await startDnsServer({ [SERVICE]: ADDRESSES });
    // Each answer takes a few ms, so requests are in flight on every instance when one dies.
    for (const instance of fleet.instances) {
      instance.handler = (request, response) => {
        request.resume();
        request.once('end', () => setTimeout(() => response.end(JSON.stringify({ instance: instance.address })), 3));
      };
    }
  });

  after(async () => {
    await killSpawnedGateways();
    await fleet.close();
    await dns.close();
  });

  it(`when one of three instances is killed during a ${LOAD_MS / 1000} s load, then no GET fails beyond those in flight on it, and POSTs fail only if they were in flight on it`, async () => {
    const gateway = await spawnGateway({
      ...AUTH_ENV,
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: uniquePrefix('instance-kill'),
      RATE_LIMIT_MAX: '10000000',
      PRODUCT_SERVICE_URL: `http://${SERVICE}:${fleet.port}`,
      SERVICE_DNS_SERVERS: dns.servers,
    });
    // An admin: creating a product is ADMIN-only in the gateway file.
    const headers = { authorization: `Bearer ${accessToken({ role: 'ADMIN' })}`, 'content-type': 'application/json' };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    const outcomes: Outcome[] = [];
    const started = Date.now();
    const victim = fleet.at('127.0.0.3');
    let inFlightAtKill: { GET: number; POST: number } | undefined;
    let killedAt = Number.POSITIVE_INFINITY;
    const inFlight = { GET: 0, POST: 0 };
    victim.server.prependListener('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const method = request.method === 'POST' ? 'POST' : 'GET';
      inFlight[method] += 1;
      response.once('close', () => (inFlight[method] -= 1));
    });

    async function worker(method: 'GET' | 'POST'): Promise<void> {
      while (Date.now() - started < LOAD_MS) {
        const startedAt = Date.now();
        const status = await send({
          port: gateway.port,
          agent,
          method,
          path: '/api/v1/products/7',
          headers,
          body: method === 'POST' ? '{"name":"kettle"}' : undefined,
        }).then(
          (response) => response.status,
          (error: NodeJS.ErrnoException) => error.code ?? 'error',
        );
        outcomes.push({ method, startedAt, endedAt: Date.now(), status });
      }
    }
    const kill = new Promise<void>((resolve) =>
      setTimeout(() => {
        inFlightAtKill = { ...inFlight };
        killedAt = Date.now();
        void victim.kill().then(resolve);
      }, KILL_AT_MS),
    );
    try {
      await Promise.all([
        ...Array.from({ length: 6 }, () => worker('GET')),
        ...Array.from({ length: 2 }, () => worker('POST')),
        kill,
      ]);
    } finally {
      agent.destroy();
    }

    const failed = outcomes.filter((outcome) => outcome.status !== 200);
    const count = (method: string, list: readonly Outcome[]) =>
      list.filter((outcome) => outcome.method === method).length;
    process.stderr.write(
      `      ${outcomes.length} requests (${count('GET', outcomes)} GET, ${count('POST', outcomes)} POST); failed: ${count('GET', failed)} GET, ${count('POST', failed)} POST; in flight on the killed instance: ${JSON.stringify(inFlightAtKill)}\n`,
    );
    expect(inFlightAtKill).to.not.equal(undefined);
    // Only a request under way when the instance died may fail: one it was answering (counted above), or one on
    // its way to it over a connection that was not kept alive (no retry is safe there). Everything sent after the
    // kill is answered, by the survivors.
    const underWay = (outcome: Outcome) => outcome.startedAt <= killedAt && outcome.endedAt >= killedAt;
    expect(
      failed.filter((outcome) => !underWay(outcome)),
      'failures of requests not under way at the kill',
    ).to.deep.equal([]);
    expect(count('POST', failed)).to.be.at.most(
      outcomes.filter((outcome) => outcome.method === 'POST' && underWay(outcome)).length,
    );
    // After the kill, the two survivors carry everything.
    const after = await send({ port: gateway.port, path: '/api/v1/products/8', headers });
    expect(after.json<{ instance: string }>().instance).to.not.equal('127.0.0.3');
  });
});
