import { randomBytes } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { expect } from 'chai';
import WebSocket from 'ws';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { readRepoFile } from '../helpers/dockerfile.js';
import { hasNginx, renderForLoopback, startNginx } from '../helpers/nginx.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { send } from '../helpers/http.js';
import { printSummary } from '../helpers/summary.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';
import { waitFor } from '../helpers/wait.js';
import {
  binaryFrame,
  closed,
  connectWebSocket,
  nextMessage,
  rawWebSocketClient,
  refusedWebSocket,
  startRawWebSocketService,
  startWebSocketService,
  type WebSocketService,
} from '../helpers/websocket.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MiB = 1024 * 1024;
const MESSAGE_MiB = 64;
/**
 * The bytes of a message inside the gateway are those waiting in its two tunnel sockets: read and
 * not yet written on (readableLength), or written and not yet taken by the kernel (writableLength).
 * Backpressure bounds each: a pipe stops reading once its destination holds a highWaterMark
 * (16 KiB on Node 20, 64 KiB from Node 22), and a socket reads at most 64 KiB at a time, so the
 * four buffers together hold at most 4 × (64 + 64) KiB = 512 KiB on any Node. A tunnel that
 * buffered the message, or wrote without waiting for 'drain', would hold megabytes of it. Unlike
 * the process's peak RSS, this does not depend on when the garbage collector runs.
 */
const MAX_BUFFERED_BYTES = 1 * MiB;
/** How long a receiver stops reading: far longer than the sender needs to fill the kernel's buffers on loopback. */
const HOLD_MS = 300;

const ROUTES = [
  ['/api/v1/auth', '/auth'],
  ['/api/v1/users', '/users'],
  ['/api/v1/products', '/products'],
  ['/api/v1/inventory', '/inventory'],
] as const;

/** An HTTP service that never switches protocols: `answer` replies to the handshake. */
async function startRefusingService(
  answer: (response: http.ServerResponse) => void,
  options: { listenForUpgrade: boolean },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => answer(response));
  // With an upgrade listener Node hands the handshake over bare; answering it by hand is a service refusing.
  if (options.listenForUpgrade) {
    server.on('upgrade', (_request, socket) => {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{"denied":"yes"}',
      );
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function tunnelGauge(gateway: RunningGateway): Promise<number> {
  const metric = await gateway.gateway.metrics.registry.getSingleMetric('gateway_websocket_tunnels_open')?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}

/**
 * Finds the two sockets of a tunnel in this process's gateway: the client's, as the server hands
 * it over at the upgrade (`onUpgrade`, a listener for the gateway's server), and the gateway's own
 * connection to the service on `servicePort`, announced on Node's `net.client.socket` diagnostics
 * channel when it is made.
 */
function watchTunnelSockets(servicePort: string): {
  readonly onUpgrade: (request: http.IncomingMessage, socket: Socket) => void;
  found(): Socket[];
  stop(): void;
} {
  const accepted: Socket[] = [];
  const made: Socket[] = [];
  const onClientSocket = (message: unknown): void => void made.push((message as { socket: Socket }).socket);
  diagnosticsChannel.subscribe('net.client.socket', onClientSocket);
  return {
    onUpgrade: (_request, socket) => void accepted.push(socket),
    found: () => [...accepted, ...made.filter((socket) => String(socket.remotePort) === servicePort)],
    stop: () => void diagnosticsChannel.unsubscribe('net.client.socket', onClientSocket),
  };
}

/**
 * Writes `frame` on `from` while `to` reads nothing for HOLD_MS, then lets `to` read it all: the
 * hold fills the kernel's buffers, so the tunnel between must wait for its receiver.
 */
async function deliverHeld(from: Socket, to: Socket, frame: Buffer): Promise<Buffer> {
  to.pause();
  const chunks: Buffer[] = [];
  let length = 0;
  const received = new Promise<Buffer>((resolve) => {
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length < frame.length) return;
      to.off('data', onData);
      to.pause();
      resolve(Buffer.concat(chunks));
    };
    // A listener added to a paused socket does not resume it.
    to.on('data', onData);
  });
  from.write(frame);
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  to.resume();
  return received;
}

/** The error of a gateway envelope. */
function errorOf(body: string): { code: string; message: string; correlationId: string } {
  return (JSON.parse(body) as { error: { code: string; message: string; correlationId: string } }).error;
}

describe('WebSocket tunnels through the gateway', function () {
  this.timeout(20_000);
  let service: WebSocketService;
  let gateway: RunningGateway;
  const open: WebSocket[] = [];

  async function start(env: Record<string, string> = {}, options: { now?: () => number } = {}): Promise<void> {
    gateway = await startGateway(
      { ...AUTH_ENV, ...allServicesAt(service.url), REDIS_URL, RATE_LIMIT_REDIS_PREFIX: uniquePrefix('ws'), ...env },
      options,
    );
    // Counts are shared through Redis once it is connected; until then the limiter counts in memory.
    await waitFor(() => gateway.logs.some((line) => line.redis === 'ready'));
  }

  async function connect(path: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
    const socket = await connectWebSocket(`ws://127.0.0.1:${gateway.port}${path}`, options);
    open.push(socket);
    return socket;
  }

  beforeEach(async () => {
    service = await startWebSocketService();
  });

  afterEach(async () => {
    for (const socket of open.splice(0)) socket.terminate();
    await gateway?.close();
    await service.close();
  });

  it('when a client opens a WebSocket on each routed prefix with access_token, then text and binary cross both ways and the service sees the rewritten path, the user and no token', async () => {
    await start();
    const token = accessToken();
    for (const [prefix, upstreamPath] of ROUTES) {
      const socket = await connect(`${prefix}/live?x=1&access_token=${token}&y=a%20b`, {
        headers: { 'x-correlation-id': `ws${prefix}` },
      });
      socket.send('hello');
      expect(await nextMessage(socket)).to.deep.equal({ data: Buffer.from('hello'), isBinary: false });
      const binary = randomBytes(70_000);
      socket.send(binary);
      expect(await nextMessage(socket)).to.deep.equal({ data: binary, isBinary: true });
      const seen = service.seen.at(-1)!;
      expect(seen.url).to.equal(`${upstreamPath}/live?x=1&y=a%20b`);
      expect(seen.headers['x-user-id']).to.equal('42');
      expect(seen.headers['x-user-email']).to.equal('ada@example.com');
      expect(seen.headers['x-user-role']).to.equal('USER');
      expect(seen.headers['x-correlation-id']).to.equal(`ws${prefix}`);
      expect(seen.headers.authorization).to.equal(undefined);
    }
    expect(JSON.stringify(gateway.logs)).not.to.include(token);
  });

  it('when the token comes in the Authorization header, then the handshake passes and the header goes downstream as received', async () => {
    await start();
    const token = accessToken();
    const socket = await connect('/api/v1/products/live', { headers: { Authorization: `Bearer ${token}` } });
    socket.send('ping');
    expect((await nextMessage(socket)).data.toString()).to.equal('ping');
    expect(service.seen[0]!.headers.authorization).to.equal(`Bearer ${token}`);
  });

  it('when the service pushes a message of its own, then the client receives it', async () => {
    await start();
    const socket = await connect(`/api/v1/inventory/live?access_token=${accessToken()}`);
    await waitFor(() => service.sockets.length === 1);
    const received = nextMessage(socket);
    service.sockets[0]!.send('stock changed');
    expect((await received).data.toString()).to.equal('stock changed');
  });

  it('when the client closes with 4001 "bye", then the service sees 4001 "bye"; when the service closes with 4002, then the client sees it', async () => {
    await start();
    const first = await connect(`/api/v1/products/live?access_token=${accessToken()}`);
    await waitFor(() => service.sockets.length === 1);
    const serviceSaw = closed(service.sockets[0]!);
    first.close(4001, 'bye');
    expect(await serviceSaw).to.deep.equal({ code: 4001, reason: 'bye' });
    expect(await closed(first)).to.deep.equal({ code: 4001, reason: 'bye' });

    const second = await connect(`/api/v1/products/live?access_token=${accessToken()}`);
    await waitFor(() => service.sockets.length === 2);
    const clientSaw = closed(second);
    service.sockets[1]!.close(4002, 'server bye');
    expect(await clientSaw).to.deep.equal({ code: 4002, reason: 'server bye' });
  });

  it('when a tunnel opens and closes, then the gauge goes up and down and one request line with status 101 is logged at the close', async () => {
    await start();
    expect(await tunnelGauge(gateway)).to.equal(0);
    const socket = await connect(`/api/v1/users/live?access_token=${accessToken()}`);
    await waitFor(() => gateway.gateway.lifecycle.openTunnels === 1);
    expect(await tunnelGauge(gateway)).to.equal(1);
    expect(gateway.logs.filter((line) => line.msg === 'request completed')).to.have.length(0);
    socket.send('x');
    await nextMessage(socket);
    socket.close(1000);
    await closed(socket);
    await waitFor(() => gateway.gateway.lifecycle.openTunnels === 0);
    expect(await tunnelGauge(gateway)).to.equal(0);
    await waitFor(() => gateway.logs.some((line) => line.msg === 'request completed'));
    const lines = gateway.logs.filter((line) => line.msg === 'request completed');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({
      status: 101,
      path: '/api/v1/users/live',
      service: 'user-service',
      upstreamStatus: 101,
    });
    expect(lines[0]!.bytes).to.be.above(0);
  });

  describe('refusals', () => {
    it('when no token is given, then the client gets the 401 envelope and the service is never contacted', async () => {
      await start();
      const answer = await refusedWebSocket(`ws://127.0.0.1:${gateway.port}/api/v1/products/live`);
      expect(answer.status).to.equal(401);
      expect(JSON.parse(answer.body)).to.deep.include({ success: false });
      expect(errorOf(answer.body).code).to.equal('UNAUTHORIZED');
      expect(answer.headers['x-correlation-id']).to.match(UUID).and.equal(errorOf(answer.body).correlationId);
      expect(service.seen).to.have.length(0);
    });

    it('when the access_token is invalid, then 401', async () => {
      await start();
      const answer = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken({ exp: 1 })}`,
      );
      expect(answer.status).to.equal(401);
      expect(service.seen).to.have.length(0);
    });

    it('when the Origin is not allowed, then the client gets the 403 envelope', async () => {
      await start();
      const answer = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
        { origin: 'https://evil.example' },
      );
      expect(answer.status).to.equal(403);
      expect(errorOf(answer.body).code).to.equal('FORBIDDEN');
      expect(service.seen).to.have.length(0);
    });

    it('when the Origin is allowed, then the tunnel opens', async () => {
      await start({ CORS_ORIGINS: 'http://localhost:3000' });
      const socket = await connect(`/api/v1/products/live?access_token=${accessToken()}`, {
        origin: 'http://localhost:3000',
      });
      socket.send('hi');
      expect((await nextMessage(socket)).data.toString()).to.equal('hi');
      expect(service.seen[0]!.headers.origin).to.equal('http://localhost:3000');
    });

    it('when the rate limit is spent, then the next handshake gets 429 with Retry-After', async () => {
      await start({ RATE_LIMIT_MAX: '2' });
      await connect(`/api/v1/products/live?access_token=${accessToken()}`);
      await connect(`/api/v1/products/live?access_token=${accessToken()}`);
      const answer = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
      );
      expect(answer.status).to.equal(429);
      expect(errorOf(answer.body).code).to.equal('TOO_MANY_REQUESTS');
      expect(Number(answer.headers['retry-after'])).to.be.within(1, 60);
      expect(answer.headers['retry-after']).to.equal(answer.headers['ratelimit-reset']);
      expect(service.seen).to.have.length(2);
    });

    it('when the path is unsafe or unrouted, then 400 and 404 envelopes', async () => {
      await start();
      // An encoded slash: WHATWG URL parsing in the client would already resolve a `%2e%2e` segment.
      const unsafe = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/products/..%2fusers?access_token=${accessToken()}`,
      );
      expect(unsafe.status).to.equal(400);
      const unrouted = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/nothing?access_token=${accessToken()}`,
      );
      expect(unrouted.status).to.equal(404);
      expect(errorOf(unrouted.body).code).to.equal('NOT_FOUND');
    });

    it('when the gateway is draining, then a new handshake gets 503 SHUTTING_DOWN', async () => {
      await start();
      gateway.gateway.lifecycle.drain();
      const answer = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
      );
      expect(answer.status).to.equal(503);
      expect(errorOf(answer.body).code).to.equal('SHUTTING_DOWN');
      expect(service.seen).to.have.length(0);
    });

    for (const [what, listenForUpgrade, status, body] of [
      ['refuses the upgrade with 403', true, 403, '{"denied":"yes"}'],
      ['answers a plain 200', false, 200, '{"plain":"http"}'],
    ] as const) {
      it(`when the service ${what}, then the client gets that answer as it is`, async () => {
        const refusing = await startRefusingService(
          (response) => {
            response.setHeader('content-type', 'application/json');
            response.end('{"plain":"http"}');
          },
          { listenForUpgrade },
        );
        try {
          await start(allServicesAt(refusing.url));
          const answer = await refusedWebSocket(
            `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
          );
          expect(answer.status).to.equal(status);
          expect(answer.body).to.equal(body);
          expect(answer.headers['content-type']).to.equal('application/json');
        } finally {
          await refusing.close();
        }
      });
    }

    it('when the service is down, then the client gets the 502 envelope; once its circuit opens, then 503 CIRCUIT_OPEN', async () => {
      // The breakers' clock stands still: the whole open time is left when the refusal is written.
      const frozen = Date.now();
      await start(
        {
          ...allServicesAt(`http://127.0.0.1:${await closedPort()}`),
          CIRCUIT_FAILURE_THRESHOLD: '2',
          CIRCUIT_OPEN_MS: '7000',
        },
        { now: () => frozen },
      );
      const url = `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`;
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const answer = await refusedWebSocket(url);
        expect(answer.status).to.equal(502);
        expect(errorOf(answer.body)).to.include({
          code: 'SERVICE_UNAVAILABLE',
          message: 'Service product-service is unavailable',
        });
      }
      const open = await refusedWebSocket(url);
      expect(open.status).to.equal(503);
      expect(errorOf(open.body).code).to.equal('CIRCUIT_OPEN');
      expect(open.headers['retry-after']).to.equal('7');
    });
  });

  it("regression: when a tunnel lives past the server's request and header timeouts, then it stays open (those bound HTTP requests, not tunnels)", async () => {
    await start({ SERVER_REQUEST_TIMEOUT_MS: '600', SERVER_HEADERS_TIMEOUT_MS: '300' });
    const socket = await connect(`/api/v1/products/live?access_token=${accessToken()}`);
    const started = Date.now();
    while (Date.now() - started < 2000) {
      socket.send('tick');
      await nextMessage(socket);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(socket.readyState).to.equal(WebSocket.OPEN);
  });

  it('when the service accepts the connection but never answers the handshake, then 502 SERVICE_TIMEOUT after the service timeout', async () => {
    const silent = http.createServer();
    const held: Duplex[] = [];
    silent.on('upgrade', (_request, socket: Duplex) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      await start({
        ...allServicesAt(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`),
        PRODUCT_SERVICE_TIMEOUT_MS: '300',
      });
      const started = Date.now();
      const answer = await refusedWebSocket(
        `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
      );
      expect(answer.status).to.equal(502);
      expect(errorOf(answer.body).code).to.equal('SERVICE_TIMEOUT');
      expect(Date.now() - started).to.be.within(250, 2000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('when the client leaves during the handshake, then the service connection is closed, no tunnel is counted and the request is logged as 499', async () => {
    const slow = http.createServer();
    const held: Duplex[] = [];
    slow.on('upgrade', (_request, socket: Duplex) => held.push(socket));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      await start(allServicesAt(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`));
      const client = new WebSocket(`ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`);
      client.on('error', () => {});
      await waitFor(() => held.length === 1);
      // The service's socket is half-open once the gateway closes its end: read it to see that end.
      const serviceSideClosed = new Promise((resolve) => held[0]!.once('end', resolve).resume());
      client.terminate();
      await serviceSideClosed;
      await waitFor(() => gateway.logs.some((line) => line.msg === 'request completed'));
      expect(gateway.logs.find((line) => line.msg === 'request completed')).to.include({
        status: 499,
        path: '/api/v1/products/live',
      });
      expect(gateway.gateway.lifecycle.openTunnels).to.equal(0);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('when a 64 MiB binary message crosses a tunnel each way to a receiver that stops reading for a while, then it arrives whole and the gateway never holds more than 1 MiB of it', async () => {
    const raw = await startRawWebSocketService();
    const tunnelSockets = watchTunnelSockets(new URL(raw.url).port);
    let client: Socket | undefined;
    let sampler: NodeJS.Timeout | undefined;
    try {
      await start({ PRODUCT_SERVICE_URL: raw.url });
      gateway.server.on('upgrade', tunnelSockets.onUpgrade);
      client = await rawWebSocketClient(gateway.port, `/api/v1/products/live?access_token=${accessToken()}`);
      await waitFor(() => raw.sockets.length === 1 && gateway.gateway.lifecycle.openTunnels === 1);
      const sockets = tunnelSockets.found();
      expect(sockets, "the client's socket and the gateway's own to the service").to.have.length(2);
      let peak = 0;
      let samples = 0;
      sampler = setInterval(() => {
        samples += 1;
        peak = Math.max(
          peak,
          sockets.reduce((sum, socket) => sum + socket.readableLength + socket.writableLength, 0),
        );
      }, 1);
      const message = randomBytes(MESSAGE_MiB * MiB);
      const service = raw.sockets[0]!;
      for (const [from, to, frame] of [
        [client, service, binaryFrame(message, { fromClient: true })],
        [service, client, binaryFrame(message, { fromClient: false })],
      ] as const) {
        expect((await deliverHeld(from, to, frame)).equals(frame)).to.equal(true);
      }
      printSummary(
        `most bytes held in the tunnel's sockets while ${MESSAGE_MiB} MiB crossed each way: ${(peak / 1024).toFixed(0)} KiB over ${samples} samples`,
      );
      expect(samples, 'samples taken during the transfers').to.be.at.least(10);
      expect(peak).to.be.below(MAX_BUFFERED_BYTES);
    } finally {
      clearInterval(sampler);
      tunnelSockets.stop();
      client?.destroy();
      await raw.close();
    }
  });

  describe('upgrades to other protocols (h2c)', () => {
    let upstream: TestUpstream;
    const h2c = { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAAQAoAAAAAIAAAAA' };

    beforeEach(async () => {
      upstream = await startUpstream();
    });

    afterEach(() => upstream.close());

    it('when a request without a body asks for h2c, then the upgrade is ignored and it is served as HTTP/1.1', async () => {
      await start(allServicesAt(upstream.url));
      const response = await send({
        port: gateway.port,
        path: '/api/v1/products/1',
        headers: { ...h2c, Authorization: `Bearer ${accessToken()}` },
      });
      expect(response.status).to.equal(200);
      expect(response.json()).to.include({ method: 'GET', url: '/products/1' });
      expect(upstream.seen[0]!.headers.upgrade).to.equal(undefined);
    });

    it('when a request with a body asks for h2c, then 400 BAD_REQUEST and nothing is forwarded', async () => {
      await start(allServicesAt(upstream.url));
      const response = await send({
        port: gateway.port,
        method: 'POST',
        path: '/api/v1/products',
        body: '{"a":1}',
        headers: { ...h2c, Authorization: `Bearer ${accessToken()}`, 'Content-Type': 'application/json' },
      });
      expect(response.status).to.equal(400);
      expect(response.json()).to.deep.nested.include({ 'error.code': 'BAD_REQUEST' });
      expect(upstream.seen).to.have.length(0);
    });
  });

  it('when a tunnel carries traffic, then it stays open; when it is silent past WEBSOCKET_IDLE_TIMEOUT_MS, then it is closed on both sides', async () => {
    await start({ WEBSOCKET_IDLE_TIMEOUT_MS: '400' });
    const socket = await connect(`/api/v1/products/live?access_token=${accessToken()}`);
    await waitFor(() => service.sockets.length === 1);
    const started = Date.now();
    let silentFrom = started;
    while (Date.now() - started < 1200) {
      socket.send('still here');
      await nextMessage(socket);
      silentFrom = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(socket.readyState).to.equal(WebSocket.OPEN);
    const clientClose = await closed(socket);
    expect(Date.now() - silentFrom).to.be.within(300, 3000);
    expect(clientClose.code).to.equal(1006);
    await closed(service.sockets[0]!);
    await waitFor(() => gateway.gateway.lifecycle.openTunnels === 0);
  });
});

describe('WebSocket tunnels through the built gateway', function () {
  this.timeout(60_000);
  let service: WebSocketService;

  beforeEach(async () => {
    service = await startWebSocketService();
  });

  afterEach(async () => {
    await killSpawnedGateways();
    await service.close();
  });

  it('when a browser opens a WebSocket through deploy/nginx.conf, then the handshake keeps its Upgrade and messages cross both ways', async () => {
    expect(hasNginx(), 'nginx on PATH (.ci/run installs it)').to.equal(true);
    const gateway = await spawnGateway({ ...AUTH_ENV, INVENTORY_SERVICE_URL: service.url, TRUST_PROXY: 'true' });
    const nginx = await startNginx((port) =>
      renderForLoopback(readRepoFile('deploy/nginx.conf'), [gateway.port, gateway.port, gateway.port], port),
    );
    try {
      const socket = await connectWebSocket(
        `ws://127.0.0.1:${nginx.port}/api/v1/inventory/live?access_token=${accessToken()}`,
        { origin: 'http://localhost:5173' },
      );
      socket.send('through nginx');
      expect((await nextMessage(socket)).data.toString()).to.equal('through nginx');
      socket.send(Buffer.from([1, 2, 3]));
      expect(await nextMessage(socket)).to.deep.equal({ data: Buffer.from([1, 2, 3]), isBinary: true });
      expect(service.seen[0]!.url).to.equal('/inventory/live');
      socket.close(4001, 'bye');
      expect(await closed(socket)).to.deep.equal({ code: 4001, reason: 'bye' });
    } finally {
      await nginx.stop();
    }
  });

  it('when SIGTERM arrives with a tunnel open, then the tunnel keeps working through the grace, is closed at its end, and the exit code is 0', async () => {
    const gateway = await spawnGateway({ ...AUTH_ENV, PRODUCT_SERVICE_URL: service.url, SHUTDOWN_GRACE_MS: '1000' });
    const socket = await connectWebSocket(
      `ws://127.0.0.1:${gateway.port}/api/v1/products/live?access_token=${accessToken()}`,
    );
    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    await waitFor(() => gateway.logs.some((line) => line.msg === 'draining'));
    socket.send('during the grace');
    expect((await nextMessage(socket)).data.toString()).to.equal('during the grace');
    await closed(socket);
    expect(Date.now() - signalled).to.be.at.least(900);
    expect(await gateway.exited).to.equal(0);
    expect(
      gateway.logs.some((line) => line.msg === 'shutdown grace over; closing the WebSocket tunnels still open'),
    ).to.equal(true);
    expect(gateway.logs.filter((line) => line.msg === 'request completed' && line.status === 101)).to.have.length(1);
  });
});
