import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { rawExchange, type RawReply } from '../helpers/raw.js';
import { printSummary } from '../helpers/summary.js';
import { waitFor } from '../helpers/wait.js';

/** Asserts a gateway envelope in a raw reply, with the correlation id of its header, on a closed connection. */
function expectRawEnvelope(reply: RawReply, status: number, code: string): void {
  expect(reply.status, reply.text).to.equal(status);
  expect(reply.text).to.match(/\r\ncontent-type: application\/json/i);
  const error = reply.json?.error as { code?: string; correlationId?: string } | undefined;
  expect(error?.code).to.equal(code);
  expect(reply.text).to.include(`x-correlation-id: ${error?.correlationId}`);
  expect(reply.outcome).to.equal('closed');
}

const POST = 'POST /api/v1/products HTTP/1.1\r\nHost: gateway.test\r\n';

describe('requests the HTTP parser refuses after their headers', () => {
  const fixture = useGateway({ env: { SERVER_HEADERS_TIMEOUT_MS: '500', SERVER_REQUEST_TIMEOUT_MS: '1000' } });

  for (const [shape, raw] of [
    ['an invalid chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
    [
      'an invalid chunk size after a valid chunk',
      `${POST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n0\r\n\r\n`,
    ],
    ['Transfer-Encoding: xchunked', `${POST}Transfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ] as const) {
    it(`regression: a request the parser refuses after its headers got no answer; when it has ${shape}, then 400 BAD_REQUEST as JSON`, async () => {
      const before = fixture.upstream.seen.length;
      expectRawEnvelope(await rawExchange(fixture.gateway.port, raw), 400, 'BAD_REQUEST');
      expect(fixture.upstream.seen.length).to.equal(before);
    });
  }

  it('regression: a request the parser refuses after its headers got no answer; when its body is slower than SERVER_REQUEST_TIMEOUT_MS, then 408 REQUEST_TIMEOUT as JSON', async () => {
    const before = fixture.upstream.seen.length;
    const reply = await rawExchange(
      fixture.gateway.port,
      [`${POST}Content-Length: 10\r\n\r\n`, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
      { gapMs: 300 },
    );
    expectRawEnvelope(reply, 408, 'REQUEST_TIMEOUT');
    expect(reply.elapsedMs).to.be.below(2500);
    expect(fixture.upstream.seen.length).to.equal(before);
  });
});

describe('a request without Host', () => {
  const fixture = useGateway();

  it('regression: an HTTP/1.1 request without Host got an empty 400 from Node; now 400 BAD_REQUEST as JSON, nothing forwarded', async () => {
    const reply = await rawExchange(
      fixture.gateway.port,
      'GET /api/v1/products/1 HTTP/1.1\r\nConnection: close\r\n\r\n',
    );
    expectRawEnvelope(reply, 400, 'BAD_REQUEST');
    expect(fixture.upstream.seen).to.have.length(0);
  });

  it('when an HTTP/1.0 request has no Host, then it is served (Host is optional before HTTP/1.1)', async () => {
    const reply = await rawExchange(fixture.gateway.port, 'GET /api/v1/products/1 HTTP/1.0\r\n\r\n');
    expect(reply.status).to.equal(200);
    expect(fixture.upstream.seen.map((seen) => seen.url)).to.deep.equal(['/products/1']);
  });
});

/**
 * A second request hidden in the body: if any hop framed the body differently, this one would reach the users service.
 */
const SMUGGLED = 'GET /api/v1/users/smuggled HTTP/1.1\r\nHost: gateway.test\r\n\r\n';

describe('request smuggling shapes, oversized requests and bytes the parser refuses, sent raw', () => {
  const fixture = useGateway({ env: { MAX_BODY_BYTES: '1024' } });
  let upstreamConnections = 0;

  before(() => {
    fixture.upstream.server.on('connection', () => (upstreamConnections += 1));
  });

  /**
   * Sends a request that must be served, and waits until the upstream has it: whatever went before has had its chance
   * to arrive.
   */
  async function sentinel(): Promise<void> {
    const marker = `/api/v1/products/sentinel-${fixture.upstream.seen.length}`;
    expect((await send({ port: fixture.gateway.port, path: marker })).status).to.equal(200);
    await waitFor(() => fixture.upstream.seen.some((seen) => seen.url === marker.replace('/api/v1', '')), 2000);
  }

  for (const [shape, raw] of [
    [
      'Content-Length and Transfer-Encoding',
      `${POST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    [
      'Transfer-Encoding then Content-Length',
      `${POST}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    ['two differing Content-Length headers', `${POST}Content-Length: 4\r\nContent-Length: 52\r\n\r\nabcd${SMUGGLED}`],
    ['a Content-Length list', `${POST}Content-Length: 4, 52\r\n\r\nabcd${SMUGGLED}`],
    ['an obs-fold continuation line', `${POST}X-Note: a\r\n folded\r\nContent-Length: 4\r\n\r\nabcd`],
    ['an obs-folded Transfer-Encoding', `${POST}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['Transfer-Encoding: chunked, identity', `${POST}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['Transfer-Encoding: chunked, chunked', `${POST}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    [
      'two Transfer-Encoding lines',
      `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    ['Transfer-Encoding: xchunked', `${POST}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['a space before the colon of Transfer-Encoding', `${POST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['an invalid chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n${SMUGGLED}`],
    [
      'a chunk size that overflows',
      `${POST}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n${SMUGGLED}`,
    ],
    ['chunks framed by bare LF', `${POST}Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n${SMUGGLED}`],
  ] as const) {
    it(`when a request has ${shape}, then 400 BAD_REQUEST as JSON, the connection closes, and no request reaches an upstream`, async () => {
      const before = fixture.upstream.seen.length;
      expectRawEnvelope(await rawExchange(fixture.gateway.port, raw), 400, 'BAD_REQUEST');
      await sentinel();
      expect(fixture.upstream.seen.slice(before).map((seen) => seen.url)).to.deep.equal([
        fixture.upstream.seen.at(-1)!.url,
      ]);
    });
  }

  for (const [what, target] of [
    ['a tab', '/api/v1/products/.\t./users'],
    ['a form feed', '/api/v1/products/1\f'],
    ['DEL', '/api/v1/products/1\x7f'],
    ['a raw UTF-8 character', Buffer.from('/api/v1/products/é', 'utf8').toString('latin1')],
    ['a raw 0xA0 byte', '/api/v1/auth/login\xa0'],
  ] as const) {
    it(`when the request target has ${what}, then the parser refuses it with 400 as JSON before the path guard (which relies on that)`, async () => {
      const before = fixture.upstream.seen.length;
      const reply = await rawExchange(
        fixture.gateway.port,
        Buffer.from(`GET ${target} HTTP/1.1\r\nHost: fixture.gateway.test\r\n\r\n`, 'latin1'),
      );
      expectRawEnvelope(reply, 400, 'BAD_REQUEST');
      expect(fixture.upstream.seen.length).to.equal(before);
    });
  }

  it('regression: a HEAD request the parser refused got a JSON body after its 400, which a client reads as a broken response; now the 400 has headers only', async () => {
    const target = Buffer.from('/api/v1/products/é', 'utf8').toString('latin1');
    const reply = await rawExchange(
      fixture.gateway.port,
      Buffer.from(`HEAD ${target} HTTP/1.1\r\nHost: fixture.gateway.test\r\n\r\n`, 'latin1'),
    );
    expect(reply.status).to.equal(400);
    expect(reply.text.endsWith('\r\n\r\n'), reply.text).to.equal(true);
    expect(reply.text).to.match(/\r\ncontent-type: application\/json/i);
    const viaNode = await send({ port: fixture.gateway.port, method: 'HEAD', path: target }).then(
      (response) => response.status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(viaNode).to.equal(400);
  });

  it('when a request has 3000 small headers (over 16 KiB in all), then 431 as JSON and no connection reaches an upstream', async () => {
    const connectionsBefore = upstreamConnections;
    const headers = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const reply = await rawExchange(
      fixture.gateway.port,
      `GET /api/v1/products/1 HTTP/1.1\r\nHost: fixture.gateway.test\r\n${headers}\r\n`,
    );
    expectRawEnvelope(reply, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
    expect(upstreamConnections).to.equal(connectionsBefore);
  });

  it('when a declared body is over MAX_BODY_BYTES, then 413 as JSON and no connection reaches an upstream', async () => {
    await sentinel(); // the gateway's pooled upstream socket exists before the count is taken
    const connectionsBefore = upstreamConnections;
    const seenBefore = fixture.upstream.seen.length;
    const reply = await rawExchange(fixture.gateway.port, `${POST}Content-Length: 2048\r\n\r\n${'x'.repeat(2048)}`);
    expectRawEnvelope(reply, 413, 'PAYLOAD_TOO_LARGE');
    expect(upstreamConnections).to.equal(connectionsBefore);
    expect(fixture.upstream.seen.length).to.equal(seenBefore);
  });

  it('when a chunked body grows past MAX_BODY_BYTES, then 413 as JSON and the upstream never receives a complete request', async () => {
    const before = fixture.upstream.seen.length;
    const chunk = (size: number): string => `${size.toString(16)}\r\n${'y'.repeat(size)}\r\n`;
    const reply = await rawExchange(
      fixture.gateway.port,
      [`${POST}Transfer-Encoding: chunked\r\n\r\n`, chunk(600), chunk(600), chunk(600), '0\r\n\r\n'],
      { gapMs: 20 },
    );
    expectRawEnvelope(reply, 413, 'PAYLOAD_TOO_LARGE');
    await sentinel();
    // What was streamed before the limit was hit reached the upstream as a request it never saw end.
    expect(fixture.upstream.seen.length - before).to.equal(1);
  });
});

describe('slow clients (SERVER_HEADERS_TIMEOUT_MS=500)', function () {
  this.timeout(20_000);
  const fixture = useGateway({ env: { SERVER_HEADERS_TIMEOUT_MS: '500' } });

  it('when 50 clients hang (40 send their headers a byte every 100 ms, 10 send nothing), then each is cut off with 408 or a close, and normal requests meanwhile get 200 promptly', async () => {
    const headers =
      'GET /api/v1/products/slow HTTP/1.1\r\nHost: fixture.gateway.test\r\nX-Slow: drip-drip-drip\r\n\r\n';
    const slow = [
      ...Array.from({ length: 40 }, () =>
        rawExchange(fixture.gateway.port, [...headers], { gapMs: 100, timeoutMs: 4000 }),
      ),
      ...Array.from({ length: 10 }, () => rawExchange(fixture.gateway.port, [], { timeoutMs: 4000 })),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const latencies: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = Date.now();
      const response = await send({ port: fixture.gateway.port, path: `/api/v1/products/${i}` });
      latencies.push(Date.now() - started);
      expect(response.status).to.equal(200);
    }
    const replies = await Promise.all(slow);
    printSummary(
      `normal requests: slowest ${Math.max(...latencies)} ms; slow clients cut after ${Math.min(...replies.map((reply) => reply.elapsedMs))}–${Math.max(...replies.map((reply) => reply.elapsedMs))} ms`,
    );
    expect(Math.max(...latencies)).to.be.below(1000);
    for (const reply of replies) {
      expect(reply.outcome, reply.text).not.to.equal('timeout');
      expect(reply.elapsedMs).to.be.below(2500);
      if (reply.status !== undefined) expectRawEnvelope(reply, 408, 'REQUEST_TIMEOUT');
    }
    expect(fixture.upstream.seen.filter((seen) => seen.url === '/products/slow')).to.deep.equal([]);
  });
});
