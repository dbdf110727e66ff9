import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { withTimeout } from '../../src/with-timeout.js';
import { useUpstream } from '../helpers/fixtures.js';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { printSummary } from '../helpers/summary.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

/** A raw client connection that collects what it receives. */
function connect(port: number): { socket: net.Socket; received: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`;

describe('draining: which requests are still served', () => {
  let upstream: TestUpstream;
  let gateway: RunningGateway;

  beforeEach(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(allServicesAt(upstream.url));
  });

  afterEach(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('regression: the first request of a connection accepted before the drain got 503; now it is served with Connection: close', async () => {
    let accepted = 0;
    gateway.server.on('connection', () => (accepted += 1));
    const client = connect(gateway.port);
    await waitFor(() => accepted === 1, 2000);
    gateway.gateway.lifecycle.drain();
    client.socket.write(get('/api/v1/products/1'));
    await waitFor(() => /\r\n\r\n\{/.test(client.received()), 3000);
    client.socket.destroy();
    expect(client.received()).to.match(/^HTTP\/1\.1 200 /);
    expect(client.received()).to.match(/\r\nconnection: close\r\n/i);
    expect(upstream.seen.map((seen) => seen.url)).to.deep.equal(['/products/1']);
  });

  it('when a kept-alive connection sends another request during the drain, then 503 SHUTTING_DOWN and nothing forwarded', async () => {
    const client = connect(gateway.port);
    client.socket.write(get('/api/v1/products/1'));
    await waitFor(() => /^HTTP\/1\.1 200 [^]*\r\n\r\n\{.*\}$/.test(client.received()), 3000);
    gateway.gateway.lifecycle.drain();
    client.socket.write(get('/api/v1/products/2'));
    await withTimeout(client.closed, 3000);
    client.socket.destroy();
    expect(client.received()).to.include('HTTP/1.1 503 ');
    expect(client.received()).to.include('"code":"SHUTTING_DOWN"');
    expect(upstream.seen.map((seen) => seen.url)).to.deep.equal(['/products/1']);
  });
});

/** How one request of the drill ended, seen from the client. */
interface Outcome {
  readonly path: string;
  /** The client's port once its connection was established (the kernel completed the handshake). */
  localPort?: number;
  status?: number;
  body?: string;
  /** ECONNREFUSED, ECONNRESET, … or TIMEOUT when nothing ended it within the bound. */
  error?: string;
}

/** One GET on a connection of its own, bounded in time. */
function request(port: number, path: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { path };
    const client = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ ...outcome, status: response.statusCode, body }));
      response.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ ...outcome, status: response.statusCode, error: error.code ?? error.message }),
      );
    });
    client.on('socket', (socket) => socket.once('connect', () => (outcome.localPort = socket.localPort)));
    client.on('error', (error: NodeJS.ErrnoException) => resolve({ ...outcome, error: error.code ?? error.message }));
    client.setTimeout(timeoutMs, () => {
      outcome.error = 'TIMEOUT';
      client.destroy();
    });
  });
}

const REPORT_ACCEPTED = fileURLToPath(new URL('./fixtures/report-accepted.mjs', import.meta.url));
const CONCURRENT = 200;
const UPSTREAM_DELAY_MS = 1000;

describe('SIGTERM under load (the built gateway)', function () {
  this.timeout(30_000);
  const fixture = useUpstream({
    handler: (request, response) => {
      const delay = request.url?.startsWith('/products/slow/') ? UPSTREAM_DELAY_MS : 0;
      setTimeout(() => response.end(JSON.stringify({ url: request.url })), delay);
    },
  });

  afterEach(async () => {
    await killSpawnedGateways();
  });

  it(`when SIGTERM arrives halfway through ${CONCURRENT} concurrent slow requests, then every connection the gateway accepted completes with 200, none is reset, and it exits 0`, async () => {
    const gateway = await spawnGateway({
      PRODUCT_SERVICE_URL: fixture.upstream.url,
      SHUTDOWN_GRACE_MS: '10000',
      NODE_OPTIONS: `--import=${REPORT_ACCEPTED}`,
    });
    // Warm the code paths first, so the drill measures draining, not a cold start.
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => request(gateway.port, `/api/v1/products/warm/${round}-${i}`, 5000)),
      );
    }
    const slowSeen = (): number =>
      fixture.upstream.seen.filter((seen) => seen.url.startsWith('/products/slow/')).length;

    // One new connection every 4 ms; SIGTERM once half of them have reached the upstream.
    const pending: Array<Promise<Outcome>> = [];
    let terminatedAfter: number | undefined;
    for (let i = 0; i < CONCURRENT; i += 1) {
      pending.push(request(gateway.port, `/api/v1/products/slow/${i}`, 15_000));
      if (terminatedAfter === undefined && slowSeen() >= CONCURRENT / 2) {
        terminatedAfter = i + 1;
        gateway.child.kill('SIGTERM');
      }
      await new Promise((resolve) => setTimeout(resolve, 4));
    }
    if (terminatedAfter === undefined) {
      await waitFor(() => slowSeen() >= CONCURRENT / 2, 5000);
      terminatedAfter = CONCURRENT;
      gateway.child.kill('SIGTERM');
    }
    const outcomes = await Promise.all(pending);
    const exitCode = await withTimeout(gateway.exited, 15_000);

    const acceptedLine = /^accepted-ports (.*)$/m.exec(gateway.stderr())?.[1];
    expect(acceptedLine, 'the gateway reported the connections it accepted').to.be.a('string');
    const accepted = new Set(JSON.parse(acceptedLine!) as number[]);
    const wasAccepted = (outcome: Outcome): boolean =>
      outcome.localPort !== undefined && accepted.has(outcome.localPort);

    const completed = outcomes.filter((outcome) => outcome.status === 200);
    // Refused: the listener was already closed, the connection never opened. Not a reset.
    const refused = outcomes.filter((outcome) => outcome.error === 'ECONNREFUSED' && outcome.localPort === undefined);
    // Reset in the listen backlog: the kernel completed the handshake, the gateway had not accepted
    // the connection yet when its listener closed, so the kernel reset it. No byte of the request
    // was read; like a refused connection it was never the gateway's, and the client may resend it.
    const resetInBacklog = outcomes.filter(
      (outcome) => outcome.error !== undefined && outcome.localPort !== undefined && !wasAccepted(outcome),
    );
    // A reset (ECONNRESET, socket hang up …) or a hang on a connection the gateway accepted: a lost request.
    const lost = outcomes.filter((outcome) => wasAccepted(outcome) && outcome.status !== 200);
    printSummary(
      `SIGTERM after ${terminatedAfter} of ${CONCURRENT} requests were started: ${completed.length} completed with 200, ` +
        `${refused.length} refused after the listener closed, ${resetInBacklog.length} reset in the listen backlog (never accepted), ${lost.length} lost`,
    );

    expect(lost, 'requests on accepted connections that did not complete with 200').to.deep.equal([]);
    expect(completed.length).to.be.at.least(CONCURRENT / 2);
    expect(
      completed.every((outcome) => outcome.body === JSON.stringify({ url: outcome.path.replace('/api/v1', '') })),
    ).to.equal(true);
    expect(completed.every(wasAccepted), 'every completed request went over an accepted connection').to.equal(true);
    expect(completed.length + refused.length + resetInBacklog.length).to.equal(CONCURRENT);
    expect(
      outcomes.filter((outcome) => outcome.error === 'TIMEOUT'),
      'hung requests',
    ).to.deep.equal([]);
    expect(exitCode).to.equal(0);
  });
});
