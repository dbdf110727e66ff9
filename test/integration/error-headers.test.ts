import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { rawExchange, type RawReply } from '../helpers/raw.js';

/** The security headers the gateway puts on a response it proxies: the reference every answer must match. */
const SECURITY_HEADER_NAMES = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

/** Header fields of a raw reply, names lower-cased. */
function rawHeaders(reply: RawReply): Record<string, string> {
  const head = reply.text.slice(0, reply.text.indexOf('\r\n\r\n'));
  const fields: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

describe('security headers on every error the gateway writes', () => {
  const fixture = useGateway({ env: { SERVER_REQUEST_TIMEOUT_MS: '300', SERVER_HEADERS_TIMEOUT_MS: '300' } });
  let reference: Record<string, string>;

  before(async () => {
    const proxied = await send({ port: fixture.gateway.port, path: '/api/v1/products/1' });
    expect(proxied.status).to.equal(200);
    reference = Object.fromEntries(SECURITY_HEADER_NAMES.map((name) => [name, String(proxied.headers[name])]));
    expect(reference['x-frame-options']).to.equal('DENY');
    expect(reference['x-xss-protection']).to.equal('0');
  });

  const POST = 'POST /api/v1/products HTTP/1.1\r\nHost: gateway.test\r\n';
  const refusedByTheParser: Array<[what: string, raw: string, status: number]> = [
    [
      'a header value with a control character (400)',
      'GET /api/v1/products/1 HTTP/1.1\r\nHost: gateway.test\r\nX-Bad: a\x01b\r\n\r\n',
      400,
    ],
    // Node's parser counts the bytes of names and values against its 16 KiB limit: 3000 lines of
    // `X-A: 1` (12 KB) passed it and were refused by the request guard, inside Koa.
    [
      '3000 small headers (431)',
      `GET /api/v1/products/1 HTTP/1.1\r\nHost: gateway.test\r\n${'X-A: 1234567\r\n'.repeat(3000)}\r\n`,
      431,
    ],
    ['a body slower than the request timeout (408)', `${POST}Content-Length: 10\r\n\r\nab`, 408],
    ['a CONNECT (405)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405],
  ];

  for (const [what, raw, status] of refusedByTheParser) {
    it(`regression: parser-refused answers carried only X-Content-Type-Options; when the gateway answers ${what} outside Koa, then it carries every security header of a proxied response`, async () => {
      const reply = await rawExchange(fixture.gateway.port, raw, { timeoutMs: 3000 });
      expect(reply.status).to.equal(status);
      // Answered outside Koa, the connection is closed (Connection: close); a kept-alive one was answered by Koa.
      expect(reply.outcome).to.equal('closed');
      expect(rawHeaders(reply).connection).to.equal('close');
      const headers = rawHeaders(reply);
      for (const name of SECURITY_HEADER_NAMES) expect(headers[name], name).to.equal(reference[name]);
      expect(headers['content-type']).to.equal('application/json; charset=utf-8');
      expect((reply.json as { error: { correlationId: string } }).error.correlationId).to.equal(
        headers['x-correlation-id'],
      );
    });
  }

  it("when Koa's layers refuse a request (a disallowed Origin, 403), then the answer carries the same security headers", async () => {
    const response = await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { origin: 'https://evil.example' },
    });
    expect(response.status).to.equal(403);
    for (const name of SECURITY_HEADER_NAMES) expect(response.headers[name], name).to.equal(reference[name]);
  });
});
