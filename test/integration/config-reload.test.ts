import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { expect } from 'chai';
import { useUpstream } from '../helpers/fixtures.js';
import {
  createGatewayFileDir,
  gatewayFileText,
  reloadLines,
  useReloadingGateway,
  waitForReloads,
  type GatewayFileDir,
  type TestRoute,
} from '../helpers/gateway-file.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { send, startLoad } from '../helpers/http.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { REDIS_URL, keysWithPrefix, uniquePrefix } from '../helpers/redis.js';
import { printSummary } from '../helpers/summary.js';
import type { TestUpstream } from '../helpers/upstream.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';
import {
  connectWebSocket,
  nextMessage,
  refusedWebSocket,
  startWebSocketService,
  type WebSocketService,
} from '../helpers/websocket.js';

const products = (url: string, limits?: Record<string, number>): TestRoute => ({
  name: 'products',
  url,
  prefix: '/api/v1/products',
  upstreamPath: '/products',
  limits,
});
const orders = (url: string): TestRoute => ({ name: 'orders', url, prefix: '/api/v1/orders', upstreamPath: '/orders' });

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The gateway's own metrics, as a scrape would read them. */
function scrape(gateway: RunningGateway): Promise<string> {
  return gateway.gateway.metrics.registry.metrics();
}

/** `/info`'s account of the gateway file in use. */
async function loadedFile(gateway: { port: number }): Promise<{ sha256: string; loadedAt: string }> {
  return (await send({ port: gateway.port, path: '/info' })).json<{
    gatewayFile: { sha256: string; loadedAt: string };
  }>().gatewayFile;
}

async function statusOf(gateway: { port: number }, path: string): Promise<number> {
  return (await send({ port: gateway.port, path })).status;
}

describe('Reloading the gateway file', () => {
  /** Responses of the products service held open until a test ends them (`/products/slow`). */
  const held: ServerResponse[] = [];
  const productService = useUpstream({
    handler(_request, response, seen) {
      if (seen.url === '/products/slow') {
        held.push(response);
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ service: 'products', url: seen.url }));
    },
  });
  const orderService = useUpstream();

  describe('a file written in place', () => {
    const fixture = useReloadingGateway({ routes: () => [products(productService.upstream.url)] });

    it('when a route is added, then it answers, and /info, gateway_config_info and the request metrics follow the new file', async () => {
      const { gateway, file } = fixture;
      const before = await loadedFile(gateway);
      expect(before.sha256).to.equal(gateway.config.gatewayFile.sha256);
      expect(await statusOf(gateway, '/api/v1/orders/1')).to.equal(404);

      const text = gatewayFileText([products(productService.upstream.url), orders(orderService.upstream.url)]);
      file.write(text);
      await waitForReloads(gateway, 'applied');

      expect(await statusOf(gateway, '/api/v1/orders/1')).to.equal(200);
      expect(orderService.upstream.seen.at(-1)?.url).to.equal('/orders/1');
      const after = await loadedFile(gateway);
      expect(after.sha256).to.equal(sha256(text));
      expect(Date.parse(after.loadedAt)).to.be.greaterThan(Date.parse(before.loadedAt));
      const metrics = await scrape(gateway);
      expect(metrics).to.match(
        new RegExp(`^gateway_config_info\\{hash="${sha256(text)}"\\} ${Date.parse(after.loadedAt) / 1000}$`, 'm'),
      );
      expect(metrics).not.to.include(before.sha256);
      expect(metrics).to.match(/^gateway_config_reloads_total\{result="applied"\} 1$/m);
      expect(metrics).to.match(/^gateway_config_reloads_total\{result="rejected"\} 0$/m);
      // Each request is labelled by the file it ran on: the same path was unmatched before the reload.
      await waitForAsync(
        async () =>
          /^gateway_http_requests_total\{route="\/api\/v1\/orders",method="GET",status="200"\} 1$/m.test(
            await scrape(gateway),
          ),
        1000,
      );
      expect(await scrape(gateway)).to.match(
        /^gateway_http_requests_total\{route="unmatched",method="GET",status="404"\} 1$/m,
      );
    });

    it('when the file is broken, then the running file keeps serving, one line gives the reasons, and the rejection is counted', async () => {
      const { gateway, file } = fixture;
      const running = await loadedFile(gateway);
      // A route to a service the file does not declare.
      const broken = JSON.parse(
        gatewayFileText([products(productService.upstream.url), orders(orderService.upstream.url)]),
      ) as { services: unknown[] };
      broken.services.pop();
      file.write(JSON.stringify(broken));
      await waitForReloads(gateway, 'rejected');

      expect(await statusOf(gateway, '/api/v1/products/1')).to.equal(200);
      expect(await statusOf(gateway, '/api/v1/orders/1')).to.equal(404);
      expect(await loadedFile(gateway)).to.deep.equal(running);
      const metrics = await scrape(gateway);
      expect(metrics).to.match(/^gateway_config_reloads_total\{result="rejected"\} 1$/m);
      expect(metrics).to.match(/^gateway_config_reloads_total\{result="applied"\} 0$/m);
      const [line] = reloadLines(gateway, 'rejected');
      expect(line).to.include({ file: file.path, trigger: 'file' });
      expect(line?.problems).to.deep.equal([
        `${file.path}: routes[1].service: no service is named orders-service (services: products-service)`,
      ]);

      // Fixed, it is applied; the broken text was refused once, in one line.
      file.write(gatewayFileText([products(productService.upstream.url), orders(orderService.upstream.url)]));
      await waitForReloads(gateway, 'applied');
      expect(await statusOf(gateway, '/api/v1/orders/1')).to.equal(200);
      expect(reloadLines(gateway, 'rejected')).to.have.length(1);
    });

    it('when a request is in flight on a service the new file moves, then it finishes 200 on the old instance, whose pool closes after it', async () => {
      const { gateway, file } = fixture;
      const slow = send({ port: gateway.port, path: '/api/v1/products/slow' });
      await waitFor(() => held.length === 1);

      // products-service moves to another URL: a new upstream; the old one is retired.
      file.write(gatewayFileText([products(orderService.upstream.url)]));
      await waitForReloads(gateway, 'applied');
      expect(await statusOf(gateway, '/api/v1/products/2')).to.equal(200);
      expect(orderService.upstream.seen.at(-1)?.url).to.equal('/products/2');

      held.pop()!.end('{"finished":"after the reload"}');
      const response = await slow;
      expect(response.status).to.equal(200);
      expect(response.text).to.equal('{"finished":"after the reload"}');
      // Its last request done, the retired pool closes (a live pool would keep the socket 4 s).
      await waitForAsync(() => connectionCount(productService.upstream).then((count) => count === 0), 1000);
    });

    it('when the directory changes but the file does not, then nothing is reloaded; SIGHUP reloads it anyway', async () => {
      const { gateway } = fixture;
      const reloads = gateway.reloads!;
      expect(await reloads.reload('file')).to.equal('unchanged');
      expect(reloadLines(gateway, 'applied')).to.have.length(0);
      expect(await reloads.reload('signal')).to.equal('applied');
      expect(reloadLines(gateway, 'applied')).to.have.length(1);
      expect(reloadLines(gateway, 'applied')[0]).to.include({
        trigger: 'signal',
        sha256: gateway.config.gatewayFile.sha256,
      });
    });
  });

  describe('a Kubernetes ConfigMap volume', () => {
    const fixture = useReloadingGateway({ layout: 'configmap', routes: () => [products(productService.upstream.url)] });

    it('when the kubelet swaps ..data to a new version, twice, then the gateway reloads the file through its unchanged symlink each time', async () => {
      const { gateway, file } = fixture;
      const text = gatewayFileText([products(productService.upstream.url), orders(orderService.upstream.url)]);
      file.write(text);
      await waitForReloads(gateway, 'applied');
      expect(await statusOf(gateway, '/api/v1/orders/3')).to.equal(200);
      expect((await loadedFile(gateway)).sha256).to.equal(sha256(text));
      // A watch on the file's inode would see the first swap (the old version is deleted) and miss every later one.
      file.write(gatewayFileText([products(productService.upstream.url)]));
      await waitForReloads(gateway, 'applied', 2);
      expect(await statusOf(gateway, '/api/v1/orders/3')).to.equal(404);
    });
  });

  describe('with the shared Redis limiter', () => {
    const prefix = uniquePrefix('reload');
    const fixture = useReloadingGateway({
      routes: () => [products(productService.upstream.url, { '/api/v1/products/limited': 50 })],
      env: () => ({ REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix, RATE_LIMIT_MAX: '100' }),
    });

    it('when the file is reloaded, then the per-IP and per-route counts go on from where they were', async () => {
      const { gateway, file } = fixture;
      await waitFor(() => gateway.logs.some((line) => line.redis === 'ready'));
      const remaining = async (path: string): Promise<unknown> =>
        (await send({ port: gateway.port, path })).headers['ratelimit-remaining'];
      expect([
        await remaining('/api/v1/products/limited/1'),
        await remaining('/api/v1/products/limited/1'),
        await remaining('/api/v1/products/limited/1'),
      ]).to.deep.equal(['49', '48', '47']);
      const keys = (await keysWithPrefix(REDIS_URL, prefix)).sort();
      expect(keys).to.have.length(2);

      file.write(
        gatewayFileText([
          products(productService.upstream.url, { '/api/v1/products/limited': 50 }),
          orders(orderService.upstream.url),
        ]),
      );
      await waitForReloads(gateway, 'applied');

      // The route's count, then the client's (100 - 5: no route limit on orders).
      expect(await remaining('/api/v1/products/limited/1')).to.equal('46');
      expect(await remaining('/api/v1/orders/1')).to.equal('95');
      expect((await keysWithPrefix(REDIS_URL, prefix)).sort()).to.deep.equal(keys);
    });
  });

  describe('WebSocket tunnels', () => {
    let echo: WebSocketService | undefined;
    before(async () => {
      echo = await startWebSocketService();
    });
    after(async () => {
      await echo?.close();
    });
    const live = (): TestRoute => ({ name: 'live', url: echo!.url, prefix: '/api/v1/live', upstreamPath: '/live' });
    const fixture = useReloadingGateway({ routes: () => [products(productService.upstream.url), live()] });

    it('when a reload removes the route of an open tunnel, then new handshakes get 404 and the open tunnel keeps carrying messages', async () => {
      const { gateway, file } = fixture;
      const url = `ws://127.0.0.1:${gateway.port}/api/v1/live`;
      const socket = await connectWebSocket(url);
      try {
        file.write(gatewayFileText([products(productService.upstream.url)]));
        await waitForReloads(gateway, 'applied');
        expect((await refusedWebSocket(url)).status).to.equal(404);
        const echoed = nextMessage(socket);
        socket.send('still open');
        expect((await echoed).data.toString()).to.equal('still open');
      } finally {
        socket.terminate();
      }
    });
  });
});

describe('Reloading the built gateway', () => {
  const productService = useUpstream();
  const orderService = useUpstream();
  let file: GatewayFileDir | undefined;

  beforeEach(() => {
    file = createGatewayFileDir('file');
    file.write(gatewayFileText([products(productService.upstream.url)]));
  });

  afterEach(async () => {
    await killSpawnedGateways();
    file?.remove();
  });

  it('when the file gains the orders service under a load on /api/v1/products, then orders answers within a second and no request of the load fails', async () => {
    const gateway = await spawnGateway({ GATEWAY_CONFIG: file!.path });
    const load = startLoad(
      { port: gateway.port, path: '/api/v1/products/1' },
      { workers: 4, hangMs: 2000, maxMs: 10_000 },
    );
    try {
      await waitFor(() => load.samples.length >= 100);
      expect(await statusOf(gateway, '/api/v1/orders/1')).to.equal(404);

      const written = performance.now();
      file!.write(gatewayFileText([products(productService.upstream.url), orders(orderService.upstream.url)]));
      let status = 0;
      while (status !== 200 && performance.now() - written < 1000) status = await statusOf(gateway, '/api/v1/orders/1');
      const latencyMs = performance.now() - written;
      expect(status, 'orders answered within 1 s of the write').to.equal(200);
      expect(orderService.upstream.seen.at(-1)?.url).to.equal('/orders/1');

      const atReload = load.samples.length;
      await waitFor(() => load.samples.length >= atReload + 100);
      const samples = await load.stop();
      const failed = samples.filter((sample) => sample.status !== 200);
      printSummary(
        `file written -> first 200 from /api/v1/orders: ${latencyMs.toFixed(0)} ms; load on /api/v1/products: ${samples.length} requests, ${failed.length} failed`,
      );
      expect(failed).to.deep.equal([]);
      expect(gateway.logs.filter((line) => line.msg === 'gateway file reloaded')).to.have.length(1);
    } finally {
      await load.stop();
    }
  });

  it('when SIGHUP arrives, then the gateway reloads the file and goes on serving', async () => {
    const gateway = await spawnGateway({ GATEWAY_CONFIG: file!.path });
    const before = await loadedFile(gateway);
    gateway.child.kill('SIGHUP');
    await waitFor(() => gateway.logs.some((line) => line.msg === 'gateway file reloaded'), 5000);
    expect(gateway.logs.find((line) => line.msg === 'gateway file reloaded')).to.include({
      trigger: 'signal',
      sha256: before.sha256,
    });
    const after = await loadedFile(gateway);
    expect(after.sha256).to.equal(before.sha256);
    expect(Date.parse(after.loadedAt)).to.be.greaterThan(Date.parse(before.loadedAt));
    expect(await statusOf(gateway, '/api/v1/products/1')).to.equal(200);
  });
});

function connectionCount(upstream: TestUpstream): Promise<number> {
  return new Promise((resolve, reject) =>
    upstream.server.getConnections((error, count) => (error === null ? resolve(count) : reject(error))),
  );
}
