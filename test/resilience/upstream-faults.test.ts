import http from 'node:http';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { closedPort } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

/** How a download ended: read to its end, cut by the gateway, or still open when the bound ran out. */
interface Download {
  readonly status: number;
  readonly bytes: number;
  readonly outcome: 'complete' | 'cut' | 'hung';
  readonly elapsedMs: number;
}

/** GETs `path` on a connection of its own and reads the body, for at most `timeoutMs`. */
function download(port: number, path: string, timeoutMs = 5000): Promise<Download> {
  return new Promise((resolve) => {
    const started = Date.now();
    let status = 0;
    let bytes = 0;
    let settled = false;
    const settle = (outcome: Download['outcome']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      resolve({ status, bytes, outcome, elapsedMs: Date.now() - started });
    };
    const client = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      status = response.statusCode ?? 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => settle('complete'));
      response.on('error', () => settle('cut'));
      response.on('close', () => settle(response.complete ? 'complete' : 'cut'));
    });
    client.on('error', () => settle('cut'));
    const bound = setTimeout(() => {
      settle('hung');
      client.destroy();
    }, timeoutMs);
  });
}

/** Counts of the process's active handles and timers by kind (TCPSocketWrap, Timeout …). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Kinds whose count is above `baseline`. */
function grownSince(baseline: Map<string, number>): string[] {
  return [...activeResources()]
    .filter(([kind, count]) => count > (baseline.get(kind) ?? 0))
    .map(([kind, count]) => `${kind}: ${baseline.get(kind) ?? 0} -> ${count}`);
}

describe('upstream faults mid-body', () => {
  const fixture = useGateway({
    handler: (request, response) => {
      const [, , fault] = (request.url ?? '').split('/');
      if (fault === 'chunked-reset' || fault === 'chunked-close') {
        // No Content-Length: the body is chunked, and the reset comes between two chunks.
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('a'.repeat(4096));
        setTimeout(() => {
          response.write('b'.repeat(4096));
          setTimeout(
            () => (fault === 'chunked-reset' ? request.socket.resetAndDestroy() : request.socket.destroy()),
            20,
          );
        }, 20);
        return;
      }
      if (fault === 'length-reset') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100_000 });
        response.write('c'.repeat(10_000));
        setTimeout(() => request.socket.resetAndDestroy(), 20);
        return;
      }
      if (fault === 'stall') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('first bytes');
        return; // and never another byte
      }
      response.end('fine');
    },
    streaming: true,
    env: { PRODUCT_SERVICE_TIMEOUT_MS: '300', PRODUCT_SERVICE_IDLE_TIMEOUT_MS: '300' },
  });

  for (const [fault, what] of [
    ['chunked-reset', 'a chunked body is reset (TCP RST) between two chunks'],
    ['chunked-close', 'a chunked body ends with the connection closed before its last chunk'],
    ['length-reset', 'a body with Content-Length is reset after a tenth of it'],
  ] as const) {
    it(`when ${what}, then the client's response is cut at once, the failure is logged once as 502, and the next request is fine`, async () => {
      const path = `/api/v1/products/${fault}`;
      const result = await download(fixture.gateway.port, path);
      expect(result.status).to.equal(200);
      expect(result.outcome).to.equal('cut');
      expect(result.elapsedMs).to.be.below(1000);
      await waitFor(
        () => fixture.gateway.logs.some((line) => line.path === path && line.msg === 'request completed'),
        2000,
      );
      const lines = fixture.gateway.logs.filter((line) => line.path === path);
      expect(lines.map((line) => line.msg)).to.deep.equal([
        'upstream response failed mid-body; response cut',
        'request completed',
      ]);
      expect(lines[1]).to.include({ status: 502, upstreamStatus: 200 });
      const next = await download(fixture.gateway.port, '/api/v1/products/fine');
      expect(next).to.include({ status: 200, outcome: 'complete', bytes: 4 });
    });
  }

  it('when 20 responses send headers then stall past the idle timeout, then every client connection is closed and no socket or timer is left behind', async () => {
    // Let the sockets and timers of the tests before settle, then take the baseline.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const baseline = activeResources();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => download(fixture.gateway.port, `/api/v1/products/stall/${i}`)),
    );
    for (const result of results) {
      expect(result).to.include({ status: 200, bytes: 'first bytes'.length, outcome: 'cut' });
      expect(result.elapsedMs).to.be.within(250, 1000);
    }
    await waitFor(() => grownSince(baseline).length === 0, 2000).catch(() => {});
    expect(grownSince(baseline), 'handles and timers above the baseline').to.deep.equal([]);
    const connections = (server: http.Server): Promise<number> =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    expect(await connections(fixture.gateway.server), 'client connections still open on the gateway').to.equal(0);
    expect(await connections(fixture.upstream.server), 'gateway connections still open on the upstream').to.equal(0);
  });
});

describe('upstreams that cannot be reached', () => {
  const TIMEOUT_MS = 1000;

  async function expect502Within(gateway: RunningGateway, path: string): Promise<number> {
    const started = Date.now();
    const response = await send({ port: gateway.port, path });
    const elapsed = Date.now() - started;
    expect(response.status).to.equal(502);
    expect(response.json()).to.deep.include({ success: false });
    expect(response.json<{ error: { code: string; message: string } }>().error).to.include({
      code: 'SERVICE_UNAVAILABLE',
      message: 'Service product-service is unavailable',
    });
    expect(elapsed).to.be.below(TIMEOUT_MS);
    return elapsed;
  }

  it('when the upstream host cannot be resolved, then 502 SERVICE_UNAVAILABLE within the service timeout', async () => {
    // A first label of 64 octets, one over DNS's limit (RFC 1035 §2.3.4): the resolver refuses the
    // name before sending any query, so the lookup fails here without leaving the machine. (A name
    // under .invalid, RFC 6761, would still be sent to this machine's nameserver.)
    const host = `${'a'.repeat(64)}.invalid`;
    const gateway = await startGateway({
      PRODUCT_SERVICE_URL: `http://${host}:8083`,
      PRODUCT_SERVICE_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    try {
      for (let i = 0; i < 5; i += 1) await expect502Within(gateway, `/api/v1/products/${i}`);
      const failures = gateway.logs.filter((line) => line.msg === 'Service product-service is unavailable');
      expect(failures.map((line) => line.cause)).to.deep.equal(Array(5).fill('ENOTFOUND'));
    } finally {
      await gateway.close();
    }
  });

  it('regression: a request with a body to an unreachable upstream got its connection reset; now 502 SERVICE_UNAVAILABLE and the kept-alive connection stays usable', async () => {
    const gateway = await startGateway({
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      PRODUCT_SERVICE_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    gateway.server.on('connection', () => (connections += 1));
    try {
      for (const body of ['{"name":"tea"}', Buffer.alloc(1024 * 1024, 1)]) {
        const response = await send({
          port: gateway.port,
          method: 'POST',
          path: '/api/v1/products',
          body,
          agent,
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status).to.equal(502);
        expect(response.json<{ error: { code: string } }>().error.code).to.equal('SERVICE_UNAVAILABLE');
      }
      const chunked = await new Promise<number>((resolve, reject) => {
        const client = http.request(
          { host: '127.0.0.1', port: gateway.port, method: 'PUT', path: '/api/v1/products/1', agent },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        client.on('error', reject);
        client.write('{"name":');
        client.end('"tea"}');
      });
      expect(chunked).to.equal(502);
      expect((await send({ port: gateway.port, path: '/health', agent })).status).to.equal(200);
      expect(connections, 'connections the client needed').to.equal(1);
    } finally {
      agent.destroy();
      await gateway.close();
    }
  });

  it('when the upstream port refuses connections, then 20 concurrent requests all get 502 SERVICE_UNAVAILABLE within the service timeout', async () => {
    // The breaker would answer 503 after the fifth failure (see circuit-breaker.test.ts): this test is about the 502s.
    const gateway = await startGateway({
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      PRODUCT_SERVICE_TIMEOUT_MS: String(TIMEOUT_MS),
      CIRCUIT_FAILURE_THRESHOLD: '1000',
    });
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => expect502Within(gateway, `/api/v1/products/${i}`)));
      const failures = gateway.logs.filter((line) => line.msg === 'Service product-service is unavailable');
      expect(new Set(failures.map((line) => line.cause))).to.deep.equal(new Set(['ECONNREFUSED']));
      expect((await send({ port: gateway.port, path: '/health' })).status).to.equal(200);
    } finally {
      await gateway.close();
    }
  });
});
