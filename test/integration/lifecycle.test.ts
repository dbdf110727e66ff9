import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { send } from '../helpers/http.js';
import { killSpawnedGateways, runGateway, spawnGateway } from '../helpers/process.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

describe('process lifecycle of the built gateway', function () {
  this.timeout(30_000);

  describe('bad configuration', () => {
    for (const [name, value] of [
      ['PORT', 'abc'],
      ['TRUST_PROXY', 'maybe'],
      ['PRODUCT_SERVICE_URL', 'ftp://products'],
      ['GATEWAY_PROXY_TIMEOUT_MS', 'soon'],
      ['REDIS_URL', 'http://127.0.0.1:6379'],
    ] as const) {
      it(`when ${name}=${value}, then start-up stops with exit 1 and one line naming ${name}`, async () => {
        const result = await runGateway({ [name]: value });
        expect(result.code).to.equal(1);
        const lines = result.stderr.trim().split('\n');
        expect(lines).to.have.length(1);
        expect(lines[0]).to.include(name);
        expect(result.stdout).not.to.include('gateway listening');
      });
    }

    it('when NODE_ENV=production keeps the placeholder JWT_SECRET, then start-up stops naming JWT_SECRET', async () => {
      const result = await runGateway({ NODE_ENV: 'production' });
      expect(result.code).to.equal(1);
      expect(result.stderr.trim().split('\n')).to.have.length(1);
      expect(result.stderr).to.include('JWT_SECRET');
    });
  });

  describe('SIGTERM', () => {
    let upstream: TestUpstream;

    beforeEach(async () => {
      upstream = await startUpstream((request, response) => {
        setTimeout(
          () => response.end(JSON.stringify({ url: request.url })),
          request.url === '/products/slow' ? 800 : 0,
        );
      });
    });

    afterEach(async () => {
      await killSpawnedGateways();
      await upstream.close();
    });

    it('when SIGTERM arrives with a request in flight, then the request completes, new connections are refused, and the exit code is 0', async () => {
      const gateway = await spawnGateway({ PRODUCT_SERVICE_URL: upstream.url, SHUTDOWN_GRACE_MS: '5000' });
      const inFlight = send({ port: gateway.port, path: '/api/v1/products/slow' });
      await waitFor(() => upstream.seen.length === 1);
      gateway.child.kill('SIGTERM');
      await waitFor(() => gateway.logs.some((line) => line.msg === 'draining'));
      const refused = await send({ port: gateway.port, path: '/health' }).then(
        () => 'accepted',
        (error: NodeJS.ErrnoException) => error.code,
      );
      const response = await inFlight;
      expect(response.status).to.equal(200);
      expect(response.json()).to.deep.equal({ url: '/products/slow' });
      expect(refused).to.equal('ECONNREFUSED');
      expect(await gateway.exited).to.equal(0);
    });

    it('when SIGTERM arrives, then idle kept-alive connections are closed and in-flight responses say Connection: close', async () => {
      const gateway = await spawnGateway({ PRODUCT_SERVICE_URL: upstream.url, SHUTDOWN_GRACE_MS: '5000' });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const first = await send({ port: gateway.port, path: '/api/v1/products/1', agent });
      expect(first.headers.connection).to.equal('keep-alive');
      const idleSocket = Object.values(agent.freeSockets).flat()[0]!;
      const idleClosed = new Promise<void>((resolve) => idleSocket.once('close', () => resolve()));
      const inFlight = send({ port: gateway.port, path: '/api/v1/products/slow' });
      await waitFor(() => upstream.seen.some((seen) => seen.url === '/products/slow'));
      gateway.child.kill('SIGTERM');
      await idleClosed;
      const response = await inFlight;
      expect(response.status).to.equal(200);
      expect(response.headers.connection).to.equal('close');
      expect(await gateway.exited).to.equal(0);
      agent.destroy();
    });

    it('regression: when a client connected but never sent a request, then SIGTERM still drains with exit 0 before the grace', async () => {
      const gateway = await spawnGateway({ PRODUCT_SERVICE_URL: upstream.url, SHUTDOWN_GRACE_MS: '5000' });
      const silent = net.connect(gateway.port, '127.0.0.1');
      silent.on('error', () => {});
      await new Promise((resolve) => silent.once('connect', resolve));
      const closedByGateway = new Promise<void>((resolve) => silent.once('close', () => resolve()));
      const started = Date.now();
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).to.equal(0);
      expect(Date.now() - started).to.be.below(4000);
      await closedByGateway;
    });

    it('when a request outlives SHUTDOWN_GRACE_MS, then the gateway exits 1', async () => {
      const gateway = await spawnGateway({ PRODUCT_SERVICE_URL: upstream.url, SHUTDOWN_GRACE_MS: '200' });
      const inFlight = send({ port: gateway.port, path: '/api/v1/products/slow' }).catch((error: Error) => error);
      await waitFor(() => upstream.seen.length === 1);
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).to.equal(1);
      expect(await inFlight).to.be.instanceOf(Error);
    });
  });
});
