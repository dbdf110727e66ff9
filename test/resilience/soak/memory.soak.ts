import http from 'node:http';
import { expect } from 'chai';
import { memoryMiB, spawnGateway, killSpawnedGateways, type GatewayProcess } from '../../helpers/process.js';
import { printSummary } from '../../helpers/summary.js';
import { accessToken, AUTH_ENV } from '../../helpers/tokens.js';
import { startUpstream, type TestUpstream } from '../../helpers/upstream.js';

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 50_000);
const SAMPLE_EVERY = REQUESTS / 50;
const CONCURRENCY = 32;
/** The whole soak must be over by then, whatever happens. */
const DEADLINE_MS = 8 * 60_000;
/** RSS may end this much above the first quarter's peak: garbage not collected yet, not growth per request. */
const SETTLE_MARGIN_MiB = 24;

/** One kind of request in the mix: what to send and the status it must get. */
interface Kind {
  readonly name: string;
  readonly weight: number;
  readonly expected: number | 'aborted';
  request(
    i: number,
    token: string,
  ): { method: string; path: string; headers: Record<string, string>; body?: Buffer; abortAfterMs?: number };
}

const BODY = Buffer.alloc(2048, 7);
const MIX: Kind[] = [
  {
    name: 'get',
    weight: 55,
    expected: 200,
    request: (i, token) => ({
      method: 'GET',
      path: `/api/v1/products/${i}?page=${i % 7}`,
      headers: { authorization: `Bearer ${token}` },
    }),
  },
  {
    name: 'post 2 KiB',
    weight: 10,
    expected: 200,
    request: (_i, token) => ({
      method: 'POST',
      path: '/api/v1/products',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: BODY,
    }),
  },
  {
    name: 'get 64 KiB',
    weight: 5,
    expected: 200,
    request: (_i, token) => ({
      method: 'GET',
      path: '/api/v1/inventory/big',
      headers: { authorization: `Bearer ${token}` },
    }),
  },
  {
    name: 'upstream 500',
    weight: 5,
    expected: 500,
    request: (_i, token) => ({
      method: 'GET',
      path: '/api/v1/users/error',
      headers: { authorization: `Bearer ${token}` },
    }),
  },
  {
    name: 'upstream reset',
    weight: 3,
    expected: 502,
    request: (_i, token) => ({
      method: 'POST',
      path: '/api/v1/users/reset',
      headers: { authorization: `Bearer ${token}` },
      body: BODY,
    }),
  },
  {
    name: 'no token',
    weight: 5,
    expected: 401,
    request: (i) => ({ method: 'GET', path: `/api/v1/products/${i}`, headers: {} }),
  },
  {
    name: 'bad token',
    weight: 3,
    expected: 401,
    request: (i) => ({
      method: 'GET',
      path: `/api/v1/products/${i}`,
      headers: { authorization: 'Bearer not.a.token' },
    }),
  },
  {
    name: 'unsafe path',
    weight: 4,
    expected: 400,
    request: (i) => ({ method: 'GET', path: `/api/v1/products/%2e%2e/users/${i}`, headers: {} }),
  },
  { name: 'no route', weight: 3, expected: 404, request: (i) => ({ method: 'GET', path: `/v2/${i}`, headers: {} }) },
  { name: 'health', weight: 5, expected: 200, request: () => ({ method: 'GET', path: '/health', headers: {} }) },
  {
    name: 'client abort',
    weight: 2,
    expected: 'aborted',
    request: (_i, token) => ({
      method: 'GET',
      path: '/api/v1/products/slow',
      headers: { authorization: `Bearer ${token}` },
      abortAfterMs: 20,
    }),
  },
];
const WHEEL = MIX.flatMap((kind) => Array<Kind>(kind.weight).fill(kind));

function fire(port: number, agent: http.Agent, kind: Kind, i: number, token: string): Promise<number | string> {
  const spec = kind.request(i, token);
  return new Promise((resolve) => {
    const client = http.request(
      { host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      },
    );
    client.on('error', (error: NodeJS.ErrnoException) =>
      resolve(spec.abortAfterMs !== undefined ? 'aborted' : (error.code ?? 'error')),
    );
    client.setTimeout(10_000, () => client.destroy(new Error('timeout')));
    if (spec.abortAfterMs !== undefined) setTimeout(() => client.destroy(), spec.abortAfterMs);
    client.end(spec.body);
  });
}

describe(`soak: ${REQUESTS} requests through the built gateway`, function () {
  this.timeout(DEADLINE_MS + 60_000);
  let upstream: TestUpstream;
  let gateway: GatewayProcess;

  before(async () => {
    const big = Buffer.alloc(64 * 1024, 1);
    upstream = await startUpstream((request, response) => {
      if (request.url === '/users/reset') return void request.socket.destroy();
      if (request.url === '/users/error') {
        response.writeHead(500, { 'content-type': 'text/html' });
        return void response.end('<h1>oops</h1>');
      }
      if (request.url === '/inventory/big') return void response.end(big);
      if (request.url === '/products/slow') return void setTimeout(() => response.end('{}'), 200);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ url: request.url, bytes: 0 }));
    });
    // The upstream keeps only the last requests it saw: 50 000 bodies would measure the test, not the gateway.
    const seen = upstream.seen;
    setInterval(() => seen.splice(0, seen.length), 1000).unref();
    gateway = await spawnGateway({
      ...AUTH_ENV,
      AUTH_SERVICE_URL: upstream.url,
      USER_SERVICE_URL: upstream.url,
      PRODUCT_SERVICE_URL: upstream.url,
      INVENTORY_SERVICE_URL: upstream.url,
      RATE_LIMIT_MAX: '100000000',
    });
    // Its request log goes to a pipe we read; only the count matters here.
    gateway.child.stdout!.removeAllListeners('data');
    gateway.child.stdout!.resume();
  });

  after(async () => {
    await killSpawnedGateways();
    await upstream.close();
  });

  it('then every request gets its expected answer and RSS settles (the last quarter peaks no higher than the first quarter plus a margin)', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const token = accessToken({ exp: Math.floor(Date.now() / 1000) + 3600 });
    const unexpected = new Map<string, number>();
    const samples: Array<{ requests: number; rssMiB: number }> = [
      { requests: 0, rssMiB: memoryMiB(gateway.child.pid!, 'VmRSS') },
    ];
    let sent = 0;
    let done = 0;
    const started = Date.now();

    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < REQUESTS && Date.now() < deadline) {
          const i = sent++;
          const kind = WHEEL[i % WHEEL.length]!;
          const outcome = await fire(gateway.port, agent, kind, i, token);
          if (outcome !== kind.expected)
            unexpected.set(`${kind.name}: ${outcome}`, (unexpected.get(`${kind.name}: ${outcome}`) ?? 0) + 1);
          done += 1;
          if (done % SAMPLE_EVERY === 0)
            samples.push({ requests: done, rssMiB: memoryMiB(gateway.child.pid!, 'VmRSS') });
        }
      }),
    );
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;

    printSummary(`${done} requests in ${seconds.toFixed(1)} s; gateway VmRSS (MiB) every ${SAMPLE_EVERY} requests:`);
    for (let row = 0; row < samples.length; row += 10) {
      printSummary(
        `${samples
          .slice(row, row + 10)
          .map((sample) => `${String(sample.requests).padStart(6)}: ${sample.rssMiB.toFixed(1)}`)
          .join('  ')}`,
      );
    }
    const measured = samples.slice(1);
    const quarter = Math.floor(measured.length / 4);
    const firstPeak = Math.max(...measured.slice(0, quarter).map((sample) => sample.rssMiB));
    const lastPeak = Math.max(...measured.slice(-quarter).map((sample) => sample.rssMiB));
    printSummary(
      `first quarter peak ${firstPeak.toFixed(1)} MiB, last quarter peak ${lastPeak.toFixed(1)} MiB (margin ${SETTLE_MARGIN_MiB} MiB)`,
    );

    expect(done, 'requests done before the deadline').to.equal(REQUESTS);
    expect(Object.fromEntries(unexpected), 'answers other than expected').to.deep.equal({});
    expect(lastPeak).to.be.at.most(firstPeak + SETTLE_MARGIN_MiB);
    expect(gateway.child.exitCode, 'the gateway is still running').to.equal(null);
  });
});
