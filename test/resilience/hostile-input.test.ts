import { expect } from 'chai';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { rawExchange, type RawReply } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

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
  let upstream: TestUpstream;
  let gateway: RunningGateway;

  before(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({ ...allServicesAt(upstream.url), SERVER_HEADERS_TIMEOUT_MS: '500', SERVER_REQUEST_TIMEOUT_MS: '1000' });
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  for (const [shape, raw] of [
    ['an invalid chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
    ['an invalid chunk size after a valid chunk', `${POST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n0\r\n\r\n`],
    ['Transfer-Encoding: xchunked', `${POST}Transfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ] as const) {
    it(`regression: a request the parser refuses after its headers got no answer; when it has ${shape}, then 400 BAD_REQUEST as JSON`, async () => {
      const before = upstream.seen.length;
      expectRawEnvelope(await rawExchange(gateway.port, raw), 400, 'BAD_REQUEST');
      expect(upstream.seen.length).to.equal(before);
    });
  }

  it('regression: a request the parser refuses after its headers got no answer; when its body is slower than SERVER_REQUEST_TIMEOUT_MS, then 408 REQUEST_TIMEOUT as JSON', async () => {
    const before = upstream.seen.length;
    const reply = await rawExchange(gateway.port, [`${POST}Content-Length: 10\r\n\r\n`, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], { gapMs: 300 });
    expectRawEnvelope(reply, 408, 'REQUEST_TIMEOUT');
    expect(reply.elapsedMs).to.be.below(2500);
    expect(upstream.seen.length).to.equal(before);
  });
});

describe('a request without Host', () => {
  let upstream: TestUpstream;
  let gateway: RunningGateway;

  before(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(allServicesAt(upstream.url));
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('regression: an HTTP/1.1 request without Host got an empty 400 from Node; now 400 BAD_REQUEST as JSON, nothing forwarded', async () => {
    const reply = await rawExchange(gateway.port, 'GET /api/v1/products/1 HTTP/1.1\r\nConnection: close\r\n\r\n');
    expectRawEnvelope(reply, 400, 'BAD_REQUEST');
    expect(upstream.seen).to.have.length(0);
  });

  it('when an HTTP/1.0 request has no Host, then it is served (Host is optional before HTTP/1.1)', async () => {
    const reply = await rawExchange(gateway.port, 'GET /api/v1/products/1 HTTP/1.0\r\n\r\n');
    expect(reply.status).to.equal(200);
    expect(upstream.seen.map((seen) => seen.url)).to.deep.equal(['/products/1']);
  });
});
