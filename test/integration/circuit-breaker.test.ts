import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send, type TestResponse } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const OPEN_MS = 1500;

/**
 * The breakers' clock for one gateway: it moves only when a test moves it, so no open time is slept out or cut short by
 * a slow machine.
 */
interface TestClock {
  readonly now: () => number;
  advance(ms: number): void;
}

function createTestClock(): TestClock {
  let time = Date.now();
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

/**
 * How the stand-in service treats a connection: resets it at once, answers 200 (after `delayMs`), answers 500, or never
 * answers.
 */
type Mode = { kind: 'reset' } | { kind: 'ok'; delayMs: number } | { kind: 'error' } | { kind: 'stall' };

/** A real server whose behaviour a test switches, counting the connections and requests it gets. */
interface SwitchableService {
  readonly url: string;
  mode: Mode;
  readonly counts: { connections: number; requests: number };
  close(): Promise<void>;
}

async function startSwitchable(mode: Mode): Promise<SwitchableService> {
  const timers = new Set<NodeJS.Timeout>();
  const service = { mode, counts: { connections: 0, requests: 0 } };
  const server = http.createServer((request, response) => {
    service.counts.requests += 1;
    const current = service.mode;
    if (current.kind === 'stall') return;
    if (current.kind === 'error') {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
      return;
    }
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      },
      current.kind === 'ok' ? current.delayMs : 0,
    );
    timers.add(timer);
  });
  server.on('connection', (socket) => {
    service.counts.connections += 1;
    if (service.mode.kind === 'reset') socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(service, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function codeOf(response: TestResponse): string | undefined {
  return response.status >= 400 && response.headers['content-type']?.startsWith('application/json')
    ? response.json<{ error?: { code?: string } }>().error?.code
    : undefined;
}

/** The value of one sample in Prometheus text, e.g. `gateway_circuit_state{service="product-service"}`. */
async function sample(gateway: RunningGateway, series: string): Promise<number | undefined> {
  const text = await gateway.gateway.metrics.registry.metrics();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const PRODUCT = 'gateway_circuit_state{service="product-service"}';
const INVENTORY = 'gateway_circuit_state{service="inventory-service"}';

function circuitLogs(gateway: RunningGateway): unknown[] {
  return gateway.logs
    .filter((line) => String(line.msg).startsWith('circuit of product-service'))
    .map((line) => line.msg);
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

describe('circuit breaker per service', () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(
    mode: Mode,
    env: Record<string, string> = {},
  ): Promise<{ service: SwitchableService; gateway: RunningGateway; clock: TestClock }> {
    const service = await startSwitchable(mode);
    cleanups.push(() => service.close());
    const clock = createTestClock();
    const gateway = await startGateway(
      {
        PRODUCT_SERVICE_URL: service.url,
        PRODUCT_SERVICE_TIMEOUT_MS: '1000',
        CIRCUIT_OPEN_MS: String(OPEN_MS),
        ...env,
      },
      { now: clock.now },
    );
    cleanups.push(() => gateway.close());
    return { service, gateway, clock };
  }

  async function trip(gateway: RunningGateway): Promise<void> {
    for (let i = 0; i < 5; i += 1) {
      const response = await send({ port: gateway.port, path: `/api/v1/products/${i}` });
      expect([response.status, codeOf(response)], `failure ${i + 1}`).to.deep.equal([502, 'SERVICE_UNAVAILABLE']);
    }
  }

  it('when a service fails 5 times in a row, then the 6th request is answered 503 CIRCUIT_OPEN with Retry-After, without contacting the service', async () => {
    const { service, gateway } = await setUp({ kind: 'reset' });
    expect(await sample(gateway, PRODUCT)).to.equal(0);
    await trip(gateway);
    expect(service.counts.connections).to.equal(5);
    const response = await send({
      port: gateway.port,
      path: '/api/v1/products/6',
      headers: { 'x-correlation-id': 'open-1' },
    });
    expect(response.status).to.equal(503);
    expect(response.headers['retry-after']).to.equal(String(Math.ceil(OPEN_MS / 1000)));
    expect(response.json()).to.deep.equal({
      success: false,
      error: {
        message: 'Service product-service is unavailable (circuit open)',
        code: 'CIRCUIT_OPEN',
        correlationId: 'open-1',
      },
    });
    expect(service.counts.connections, 'connections the service saw').to.equal(5);
    expect(await sample(gateway, PRODUCT)).to.equal(1);
    expect(await sample(gateway, INVENTORY)).to.equal(0);
    expect(circuitLogs(gateway)).to.deep.equal(['circuit of product-service opened']);
    const completed = gateway.logs.find((line) => line.correlationId === 'open-1' && line.msg === 'request completed');
    expect(completed).to.include({ status: 503, service: 'product-service' });
  });

  it('when the circuit is open, then 20 answers take well under 50 ms each at the median', async () => {
    const { service, gateway } = await setUp({ kind: 'reset' });
    await trip(gateway);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = performance.now();
      const response = await send({ port: gateway.port, path: `/api/v1/products/fast-${i}` });
      latencies.push(performance.now() - started);
      expect(codeOf(response)).to.equal('CIRCUIT_OPEN');
    }
    expect(percentile(latencies, 0.5)).to.be.below(50);
    expect(service.counts.connections).to.equal(5);
  });

  it('when the service answers with an HTTP error status, then that is no failure: the circuit stays closed', async () => {
    const { service, gateway } = await setUp({ kind: 'error' });
    for (let i = 0; i < 8; i += 1)
      expect((await send({ port: gateway.port, path: `/api/v1/products/${i}` })).status).to.equal(500);
    expect(service.counts.requests).to.equal(8);
    expect(await sample(gateway, PRODUCT)).to.equal(0);
  });

  it('when clients leave before the service answers, then that is no failure: the circuit stays closed', async () => {
    const { service, gateway } = await setUp({ kind: 'stall' }, { PRODUCT_SERVICE_TIMEOUT_MS: '10000' });
    for (let i = 0; i < 7; i += 1) {
      const request = http.get({
        host: '127.0.0.1',
        port: gateway.port,
        path: `/api/v1/products/leave-${i}`,
        agent: false,
      });
      request.on('error', () => {});
      await waitFor(() => service.counts.requests === i + 1);
      request.destroy();
      await waitFor(() =>
        gateway.logs.some((line) => line.path === `/api/v1/products/leave-${i}` && line.msg === 'request completed'),
      );
    }
    expect(await sample(gateway, PRODUCT)).to.equal(0);
    expect(circuitLogs(gateway)).to.deep.equal([]);
  });

  it('when the open time is up, then exactly one of several concurrent requests reaches the service (half-open), and its success closes the circuit', async () => {
    const { service, gateway, clock } = await setUp({ kind: 'reset' });
    await trip(gateway);
    service.mode = { kind: 'ok', delayMs: 200 };
    clock.advance(OPEN_MS - 1);
    expect(
      codeOf(await send({ port: gateway.port, path: '/api/v1/products/early' })),
      'a millisecond before the open time is up',
    ).to.equal('CIRCUIT_OPEN');
    clock.advance(1);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send({ port: gateway.port, path: `/api/v1/products/half-${i}` })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).to.deep.equal([200, 503, 503, 503, 503, 503, 503, 503]);
    for (const refused of responses.filter((response) => response.status === 503)) {
      expect(codeOf(refused)).to.equal('CIRCUIT_OPEN');
      expect(refused.headers['retry-after']).to.equal('1');
    }
    expect(service.counts.requests, 'requests that reached the service').to.equal(1);
    expect(await sample(gateway, PRODUCT)).to.equal(0);
    const after = await Promise.all(
      Array.from({ length: 3 }, (_, i) => send({ port: gateway.port, path: `/api/v1/products/closed-${i}` })),
    );
    expect(after.map((response) => response.status)).to.deep.equal([200, 200, 200]);
    expect(circuitLogs(gateway)).to.deep.equal([
      'circuit of product-service opened',
      'circuit of product-service half-open: one request goes through',
      'circuit of product-service closed',
    ]);
  });

  it('when the half-open request fails, then the circuit opens again', async () => {
    const { service, gateway, clock } = await setUp({ kind: 'reset' });
    await trip(gateway);
    clock.advance(OPEN_MS);
    expect(codeOf(await send({ port: gateway.port, path: '/api/v1/products/probe' }))).to.equal('SERVICE_UNAVAILABLE');
    expect(codeOf(await send({ port: gateway.port, path: '/api/v1/products/again' }))).to.equal('CIRCUIT_OPEN');
    expect(service.counts.connections).to.equal(6);
    expect(await sample(gateway, PRODUCT)).to.equal(1);
    expect(circuitLogs(gateway)).to.deep.equal([
      'circuit of product-service opened',
      'circuit of product-service half-open: one request goes through',
      'circuit of product-service opened',
    ]);
  });

  it('when a circuit is open, then /health/services shows it per service', async () => {
    const { gateway } = await setUp({ kind: 'reset' });
    await trip(gateway);
    const report = (await send({ port: gateway.port, path: '/health/services' })).json<{
      services: Array<{ name: string; circuit: string }>;
    }>();
    expect(Object.fromEntries(report.services.map((service) => [service.name, service.circuit]))).to.deep.equal({
      'auth-service': 'closed',
      'user-service': 'closed',
      'product-service': 'open',
      'inventory-service': 'closed',
    });
  });

  describe('one service stalled, another served at full speed at the same time', () => {
    const STALLED_TIMEOUT_MS = 500;
    let stalled: SwitchableService | undefined;
    // Every service but the product service is the healthy upstream.
    const fixture = useGateway({
      handler: (_request, response) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      env: async () => {
        stalled = await startSwitchable({ kind: 'stall' });
        return {
          PRODUCT_SERVICE_URL: stalled.url,
          PRODUCT_SERVICE_TIMEOUT_MS: String(STALLED_TIMEOUT_MS),
          CIRCUIT_OPEN_MS: '10000',
          // The healthy clients run at full speed for up to 5 s: more than the default 1000 requests of one address.
          RATE_LIMIT_MAX: '1000000',
        };
      },
    });

    // Registered after useGateway's: runs once the gateway has closed.
    after(() => stalled?.close());

    it('when the stalled service times out, then its breaker opens while the healthy service keeps its latency', async () => {
      const deadline = Date.now() + 5000;
      const stalledCodes: Array<string | undefined> = [];
      const healthyLatencies: number[] = [];
      // Stalled traffic: 4 clients, each until it is answered CIRCUIT_OPEN.
      let stalledDone = false;
      const stalledClients = Array.from({ length: 4 }, async (_, client) => {
        for (let i = 0; Date.now() < deadline; i += 1) {
          const code = codeOf(await send({ port: fixture.gateway.port, path: `/api/v1/products/${client}-${i}` }));
          stalledCodes.push(code);
          if (code === 'CIRCUIT_OPEN') return;
        }
      });
      // Healthy traffic at the same time: 4 clients, for as long as the stalled ones run and 100 requests at least.
      const healthyClients = Array.from({ length: 4 }, async (_, client) => {
        for (let i = 0; (!stalledDone || healthyLatencies.length < 100) && Date.now() < deadline; i += 1) {
          const started = performance.now();
          const response = await send({ port: fixture.gateway.port, path: `/api/v1/inventory/${client}-${i}` });
          healthyLatencies.push(performance.now() - started);
          expect(response.status).to.equal(200);
        }
      });
      await Promise.all(stalledClients);
      stalledDone = true;
      await Promise.all(healthyClients);

      expect(healthyLatencies.length).to.be.at.least(100);
      // Half the stalled service's timeout: a healthy request that waited behind a stalled one would take all of it.
      expect(percentile(healthyLatencies, 0.95), 'healthy p95 (ms)').to.be.below(STALLED_TIMEOUT_MS / 2);
      const timeouts = stalledCodes.filter((code) => code === 'SERVICE_TIMEOUT').length;
      // Four clients wait at once: the fifth timeout opens the circuit, the ones in flight with it still time out.
      expect(timeouts, 'timeouts before the circuit opened').to.be.within(5, 8);
      expect(stalledCodes.filter((code) => code === 'CIRCUIT_OPEN')).to.have.length(4);
      expect(await sample(fixture.gateway, PRODUCT)).to.equal(1);
      expect(await sample(fixture.gateway, INVENTORY)).to.equal(0);
      expect(
        await sample(
          fixture.gateway,
          'gateway_upstream_errors_total{service="product-service",code="SERVICE_TIMEOUT"}',
        ),
      ).to.equal(timeouts);
      expect(stalled!.counts.requests, 'requests the stalled service got').to.equal(timeouts);
    });
  });
});
