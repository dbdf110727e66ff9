import http from 'node:http';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const SERVICE_TIMEOUT_MS = 300;
const IDLE_TIMEOUT_MS = 1500;
/** Events further apart than the service timeout, closer than the idle timeout. */
const EVENT_GAP_MS = 800;
const EVENTS = 4;

/** An event stream read by a client: each event's arrival time from the request, and how it ended. */
interface Received {
  readonly status: number;
  readonly type: string | undefined;
  readonly events: Array<{ data: string; atMs: number }>;
  readonly outcome: 'complete' | 'cut' | 'hung';
  readonly elapsedMs: number;
}

/** GETs an event stream and records when each event arrives, for at most `boundMs`. */
function readEvents(port: number, path: string, boundMs: number): Promise<Received> {
  return new Promise((resolve) => {
    const started = Date.now();
    const events: Received['events'] = [];
    let status = 0;
    let type: string | undefined;
    let settled = false;
    const settle = (outcome: Received['outcome']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      resolve({ status, type, events, outcome, elapsedMs: Date.now() - started });
    };
    const client = http.get(
      { host: '127.0.0.1', port, path, agent: false, headers: { accept: 'text/event-stream' } },
      (response) => {
        status = response.statusCode ?? 0;
        type = response.headers['content-type'];
        let buffered = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) !== -1) {
            events.push({ data: buffered.slice(0, end).replace(/^data: /, ''), atMs: Date.now() - started });
            buffered = buffered.slice(end + 2);
          }
        });
        response.on('end', () => settle('complete'));
        response.on('close', () => settle(response.complete ? 'complete' : 'cut'));
      },
    );
    client.on('error', () => settle('cut'));
    const bound = setTimeout(() => {
      settle('hung');
      client.destroy();
    }, boundMs);
  });
}

describe('event streams (SSE) through the gateway: the idle timeout, not the service timeout, bounds gaps', () => {
  const timers = new Set<NodeJS.Timeout>();

  // Registered before the fixture so that it runs first: no timer writes to a closed upstream.
  after(() => {
    for (const timer of timers) clearInterval(timer);
  });

  const fixture = useGateway({
    handler: (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      response.write('data: 0\n\n');
      if (request.url === '/products/silent') return; // and never another byte
      let sent = 1;
      const timer = setInterval(() => {
        response.write(`data: ${sent}\n\n`);
        if (++sent === EVENTS) {
          clearInterval(timer);
          timers.delete(timer);
          response.end();
        }
      }, EVENT_GAP_MS);
      timers.add(timer);
    },
    streaming: true,
    env: {
      PRODUCT_SERVICE_TIMEOUT_MS: String(SERVICE_TIMEOUT_MS),
      PRODUCT_SERVICE_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    },
  });

  it(`when events come ${EVENT_GAP_MS} ms apart (over the ${SERVICE_TIMEOUT_MS} ms service timeout), then every event flows through as it is sent and the stream ends whole`, async () => {
    const received = await readEvents(fixture.gateway.port, '/api/v1/products/events', 10_000);
    expect(received).to.include({ status: 200, type: 'text/event-stream', outcome: 'complete' });
    expect(received.events.map((event) => event.data)).to.deep.equal(['0', '1', '2', '3']);
    // Each event reaches the client when the service sends it, not when the stream ends.
    expect(received.events[0]!.atMs).to.be.below(EVENT_GAP_MS / 2);
    for (let i = 1; i < EVENTS; i += 1) {
      expect(received.events[i]!.atMs - received.events[i - 1]!.atMs).to.be.within(
        EVENT_GAP_MS - 200,
        EVENT_GAP_MS + 400,
      );
    }
  });

  it(`when the stream falls silent for longer than the ${IDLE_TIMEOUT_MS} ms idle timeout, then it is cut after the idle timeout and the cut is logged once`, async () => {
    const received = await readEvents(fixture.gateway.port, '/api/v1/products/silent', 10_000);
    expect(received).to.include({ status: 200, outcome: 'cut' });
    expect(received.events.map((event) => event.data)).to.deep.equal(['0']);
    expect(received.elapsedMs).to.be.within(IDLE_TIMEOUT_MS - 50, IDLE_TIMEOUT_MS + 700);
    await waitFor(
      () =>
        fixture.gateway.logs.some(
          (line) => line.path === '/api/v1/products/silent' && line.msg === 'request completed',
        ),
      2000,
    );
    // Anything logged twice would show up within this pause.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = fixture.gateway.logs.filter((line) => line.path === '/api/v1/products/silent');
    expect(lines.map((line) => line.msg)).to.deep.equal([
      'upstream response failed mid-body; response cut',
      'request completed',
    ]);
    expect(lines[0]).to.include({ cause: 'ETIMEDOUT', service: 'product-service' });
    expect(lines[1]).to.include({ status: 502, upstreamStatus: 200, upstreamError: 'ETIMEDOUT' });
  });
});
