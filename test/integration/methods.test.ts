import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { rawExchange, type RawReply } from '../helpers/raw.js';

const ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** A response header of a raw reply, by name. */
function header(reply: RawReply, name: string): string | undefined {
  const head = reply.text.slice(0, reply.text.indexOf('\r\n\r\n'));
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
}

describe('methods the gateway answers itself: TRACE and CONNECT', () => {
  const fixture = useGateway();
  let upstreamConnections = 0;

  before(() => {
    fixture.upstream.server.on('connection', () => (upstreamConnections += 1));
  });

  function expectTrace405(reply: RawReply, correlationId: string): void {
    expect(reply.status).to.equal(405);
    expect(header(reply, 'Allow')).to.equal(ALLOW);
    expect(header(reply, 'x-correlation-id')).to.equal(correlationId);
    expect(header(reply, 'Content-Type')).to.match(/^application\/json/);
    expect(reply.json).to.deep.equal({
      success: false,
      error: { message: 'Method TRACE is not allowed', code: 'METHOD_NOT_ALLOWED', correlationId },
    });
  }

  it('when a client sends TRACE on a routed path, then the gateway answers 405 with Allow and the envelope, and the service never sees it', async () => {
    const reply = await rawExchange(
      fixture.gateway.port,
      'TRACE /api/v1/products/1 HTTP/1.1\r\nHost: gateway\r\nx-correlation-id: trace-1\r\nCookie: session=secret\r\nConnection: close\r\n\r\n',
    );
    expectTrace405(reply, 'trace-1');
    expect(reply.text).not.to.include('session=secret');
    expect(fixture.upstream.seen).to.deep.equal([]);
    expect(upstreamConnections).to.equal(0);
  });

  it('when a client sends CONNECT in authority form to the service address, then 405 with Allow and the envelope, the connection is closed, and the service is never contacted', async () => {
    const target = `127.0.0.1:${fixture.upstream.port}`;
    const reply = await rawExchange(
      fixture.gateway.port,
      `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nx-correlation-id: connect-1\r\n\r\n`,
    );
    expect(reply.outcome).to.equal('closed');
    expect(reply.text).to.match(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(header(reply, 'Allow')).to.equal(ALLOW);
    expect(header(reply, 'x-correlation-id')).to.equal('connect-1');
    expect(reply.json).to.deep.equal({
      success: false,
      error: { message: 'Method CONNECT is not allowed', code: 'METHOD_NOT_ALLOWED', correlationId: 'connect-1' },
    });
    expect(fixture.upstream.seen).to.deep.equal([]);
    expect(upstreamConnections).to.equal(0);
  });

  it('when CONNECT names a routed path and sends bytes after its head, then it is still 405 and nothing is forwarded', async () => {
    const reply = await rawExchange(
      fixture.gateway.port,
      'CONNECT /api/v1/products HTTP/1.1\r\nHost: gateway\r\n\r\nGET /products HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(reply.status).to.equal(405);
    expect(header(reply, 'Allow')).to.equal(ALLOW);
    expect((reply.json as { error?: { code?: string } } | undefined)?.error?.code).to.equal('METHOD_NOT_ALLOWED');
    expect(fixture.upstream.seen).to.deep.equal([]);
    expect(upstreamConnections).to.equal(0);
  });

  it('when a GET follows on the same routes, then it is forwarded as usual', async () => {
    const reply = await rawExchange(
      fixture.gateway.port,
      'GET /api/v1/products/1 HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n',
    );
    expect(reply.status).to.equal(200);
    expect(fixture.upstream.seen.map((seen) => `${seen.method} ${seen.url}`)).to.deep.equal(['GET /products/1']);
  });
});
