import http from 'node:http';
import { expect } from 'chai';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { startInstances, type TestInstances } from '../helpers/instances.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { connectWebSocket } from '../helpers/websocket.js';

const SERVICE = 'products.shop.test';
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

/**
 * Sends GETs `concurrency` at a time until `count` are done; returns how many each instance answered and the failures.
 */
async function load(
  port: number,
  options: { count: number; concurrency: number; path?: string; method?: string; body?: string },
) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const answeredBy = new Map<string, number>();
  const failures: Array<number | string> = [];
  let started = 0;
  async function worker(): Promise<void> {
    while (started < options.count) {
      started += 1;
      try {
        const response = await send({
          port,
          agent,
          method: options.method,
          path: options.path ?? '/api/v1/products/1',
          body: options.body,
        });
        if (response.status !== 200) failures.push(response.status);
        else {
          const { instance } = response.json<{ instance: string }>();
          answeredBy.set(instance, (answeredBy.get(instance) ?? 0) + 1);
        }
      } catch (error) {
        failures.push((error as NodeJS.ErrnoException).code ?? 'error');
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { answeredBy, failures };
}

describe('upstreams: every instance of a service, found through DNS', function () {
  this.timeout(60_000);
  let dns: TestDnsServer;
  let fleet: TestInstances;
  let gateway: RunningGateway | undefined;

  beforeEach(async () => {
    fleet = await startInstances(ADDRESSES);
    dns = await startDnsServer({ [SERVICE]: ADDRESSES.slice(0, 3) });
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await fleet.close();
    await dns.close();
  });

  async function startWith(env: Record<string, string> = {}): Promise<RunningGateway> {
    gateway = await startGateway({
      PRODUCT_SERVICE_URL: `http://${SERVICE}:${fleet.port}`,
      SERVICE_DNS_SERVERS: dns.servers,
      SERVICE_DNS_REFRESH_MS: '100',
      RATE_LIMIT_MAX: '1000000',
      ...env,
    });
    return gateway;
  }

  it('when three instances answer alike, then each gets a third of the requests within ±10 %', async () => {
    const { port } = await startWith();
    const { answeredBy, failures } = await load(port, { count: 1800, concurrency: 12 });
    expect(failures).to.deep.equal([]);
    const counts = ADDRESSES.slice(0, 3).map((address) => answeredBy.get(address) ?? 0);
    process.stderr.write(`      spread over three even instances: ${counts.join(' / ')}\n`);
    // Least outstanding of two random picks keeps the counts far tighter than random choice (σ ≈ 20 of 600 even then).
    for (const count of counts) expect(count).to.be.within(540, 660);
    expect(answeredBy.get('127.0.0.5')).to.equal(undefined);
  });

  it('when one instance answers 50 ms slower, then it gets clearly fewer requests than the others', async () => {
    const slow = fleet.at('127.0.0.3');
    const answer = slow.handler;
    slow.handler = (request, response) => void setTimeout(() => answer(request, response), 50);
    const { port } = await startWith();
    const { answeredBy, failures } = await load(port, { count: 1500, concurrency: 12 });
    expect(failures).to.deep.equal([]);
    const [fast1, slowCount, fast2] = ADDRESSES.slice(0, 3).map((address) => answeredBy.get(address) ?? 0);
    process.stderr.write(`      spread with 127.0.0.3 50 ms slower: ${fast1} / ${slowCount} / ${fast2}\n`);
    expect(slowCount).to.be.below(Math.min(fast1!, fast2!) / 2);
  });

  it('when DNS goes from 2 to 4 addresses, then the new ones get traffic within a refresh; from 4 to 3, the gone one gets none and its request in flight finishes', async () => {
    dns.set(SERVICE, ADDRESSES.slice(0, 2));
    const { port } = await startWith();
    let result = await load(port, { count: 200, concurrency: 4 });
    expect([...result.answeredBy.keys()].sort()).to.deep.equal(ADDRESSES.slice(0, 2));

    const grown = Date.now();
    dns.set(SERVICE, ADDRESSES);
    await waitForAsync(async () => {
      await load(port, { count: 40, concurrency: 4 });
      return ADDRESSES.every((address) => fleet.at(address).served > 0);
    }, 5000);
    process.stderr.write(`      new addresses got traffic after ${Date.now() - grown} ms (refresh every 100 ms)\n`);

    // A slow request in flight on 127.0.0.5 when it leaves DNS still completes.
    const leaving = fleet.at('127.0.0.5');
    leaving.handler = (request, response) =>
      void setTimeout(() => response.end(JSON.stringify({ instance: '127.0.0.5' })), 600);
    const inFlight: Array<Promise<number>> = [];
    while (leaving.inFlight === 0) {
      inFlight.push(send({ port, path: '/api/v1/products/slow' }).then((response) => response.status));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    dns.set(SERVICE, ADDRESSES.slice(0, 3));
    await waitFor(
      () =>
        gateway!.logs.some(
          (line) =>
            line.msg === `instances of product-service changed` &&
            JSON.stringify(line.instances) ===
              JSON.stringify(ADDRESSES.slice(0, 3).map((address) => `${address}:${fleet.port}`)),
        ),
      3000,
    );
    const servedBefore = leaving.served;
    result = await load(port, { count: 300, concurrency: 6 });
    expect(result.failures).to.deep.equal([]);
    expect(leaving.served, 'requests to the instance gone from DNS').to.equal(servedBefore);
    expect(await Promise.all(inFlight)).to.satisfy((statuses: number[]) => statuses.every((status) => status === 200));
  });

  it('when a lookup fails, then the last good instances keep serving and the failure is logged once', async () => {
    const { port } = await startWith();
    await load(port, { count: 30, concurrency: 3 });
    dns.remove(SERVICE);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { answeredBy, failures } = await load(port, { count: 300, concurrency: 6 });
    expect(failures).to.deep.equal([]);
    expect([...answeredBy.keys()].sort()).to.deep.equal(ADDRESSES.slice(0, 3));
    expect(
      gateway!.logs.filter((line) => String(line.msg).startsWith('lookup for product-service failed')),
    ).to.have.length(1);
  });

  it('when an instance accepts but never answers, then it is ejected after UPSTREAM_EJECT_FAILURES timeouts and tried again after UPSTREAM_EJECT_MS', async () => {
    const silent = fleet.at('127.0.0.4');
    silent.handler = () => {};
    const { port } = await startWith({
      PRODUCT_SERVICE_TIMEOUT_MS: '200',
      UPSTREAM_EJECT_FAILURES: '2',
      UPSTREAM_EJECT_MS: '1500',
    });
    const first = await load(port, { count: 60, concurrency: 3 });
    // Two requests time out (502), then the instance is out; the rest go to the other two.
    expect(first.failures).to.deep.equal([502, 502]);
    expect(silent.served).to.equal(2);
    expect(
      gateway!.logs.filter((line) => line.msg === `instance 127.0.0.4:${fleet.port} of product-service ejected`),
    ).to.have.length(1);
    const metrics = await gateway!.gateway.metrics.registry.metrics();
    expect(metrics).to.include('gateway_upstream_instances{service="product-service",state="ejected"} 1');
    const report = (await send({ port, path: '/health/services' })).json<{
      services: Array<{ name: string; instances: Array<{ instance: string; state: string }> }>;
    }>();
    const products = report.services.find((service) => service.name === 'product-service')!;
    expect(products.instances.map(({ instance, state }) => [instance, state])).to.deep.equal(
      ADDRESSES.slice(0, 3).map((address) => [`${address}:${fleet.port}`, address === '127.0.0.4' ? 'ejected' : 'up']),
    );
    await waitForAsync(async () => {
      await load(port, { count: 6, concurrency: 3 });
      return silent.served > 2;
    }, 5000);
  });

  it('when an instance refuses connections, then every request, POST with a body included, is retried on another and answered', async () => {
    await fleet.at('127.0.0.3').kill();
    const { port } = await startWith({ UPSTREAM_EJECT_FAILURES: '3' });
    const { answeredBy, failures } = await load(port, {
      count: 60,
      concurrency: 3,
      method: 'POST',
      body: JSON.stringify({ name: 'kettle' }),
    });
    expect(failures).to.deep.equal([]);
    expect([...answeredBy.keys()].sort()).to.deep.equal(['127.0.0.2', '127.0.0.4']);
    expect(
      gateway!.logs.filter((line) => line.msg === `instance 127.0.0.3:${fleet.port} of product-service ejected`),
    ).to.have.length(1);
  });

  it('when an instance fails its active health check, then it gets no traffic until it passes again', async () => {
    fleet.at('127.0.0.2').healthStatus = 503;
    const { port } = await startWith({ PRODUCT_SERVICE_HEALTH_INTERVAL_MS: '100' });
    await waitFor(
      () =>
        gateway!.logs.some(
          (line) => line.msg === `instance 127.0.0.2:${fleet.port} of product-service failed its health check`,
        ),
      3000,
    );
    const down = await load(port, { count: 90, concurrency: 3 });
    expect(down.answeredBy.get('127.0.0.2')).to.equal(undefined);
    fleet.at('127.0.0.2').healthStatus = 200;
    await waitFor(
      () =>
        gateway!.logs.some(
          (line) => line.msg === `instance 127.0.0.2:${fleet.port} of product-service is healthy again`,
        ),
      3000,
    );
    const up = await load(port, { count: 90, concurrency: 3 });
    expect(up.answeredBy.get('127.0.0.2')).to.be.above(0);
  });

  it('when WebSocket handshakes arrive, then they are balanced over the instances too (an open tunnel counts as outstanding)', async () => {
    const byInstance = new Map<string, number>();
    const servers = fleet.instances.map((instance) => {
      const server = new WebSocketServer({ server: instance.server });
      server.on('connection', () => byInstance.set(instance.address, (byInstance.get(instance.address) ?? 0) + 1));
      return server;
    });
    const { port } = await startWith();
    const sockets: WebSocket[] = [];
    try {
      for (let index = 0; index < 30; index += 1)
        sockets.push(await connectWebSocket(`ws://127.0.0.1:${port}/api/v1/products/live`));
      const counts = ADDRESSES.slice(0, 3).map((address) => byInstance.get(address) ?? 0);
      expect(counts.reduce((sum, count) => sum + count, 0)).to.equal(30);
      for (const count of counts) expect(count).to.be.within(7, 13);
    } finally {
      for (const socket of sockets) socket.terminate();
      for (const server of servers) server.close();
    }
  });

  it('when requests flow, then gateway_upstream_requests_total counts each instance and the request log names it', async () => {
    const { port } = await startWith();
    const { answeredBy } = await load(port, { count: 30, concurrency: 3 });
    const metrics = await gateway!.gateway.metrics.registry.metrics();
    for (const [address, count] of answeredBy) {
      expect(metrics).to.include(
        `gateway_upstream_requests_total{service="product-service",instance="${address}:${fleet.port}"} ${count}`,
      );
    }
    const logged = gateway!.logs.filter((line) => line.msg === 'request completed').map((line) => line.instance);
    expect(new Set(logged)).to.deep.equal(new Set([...answeredBy.keys()].map((address) => `${address}:${fleet.port}`)));
  });
});
