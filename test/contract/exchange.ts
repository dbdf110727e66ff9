import type { OutgoingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import type { TestResponse } from '../helpers/http.js';
import { ACCESS_TOKEN, ADMIN_TOKEN, type SeenRequest } from './harness.js';

/** The client's own Host: what `X-Forwarded-Host` must carry downstream. */
const CLIENT_HOST = 'shop.example';

/** Who the client is: a customer, or an admin for the operations the gateway file keeps for ADMIN. */
export type Caller = 'customer' | 'admin';

const TOKENS: Record<Caller, string> = { customer: ACCESS_TOKEN, admin: ADMIN_TOKEN };

/**
 * Headers of a browser-like client that also tries everything a client must not get through:
 * forged forwarding and user headers (a role nobody has), its own request id, and hop-by-hop headers.
 */
export function clientHeaders(
  correlationId: string,
  extra: OutgoingHttpHeaders = {},
  caller: Caller = 'customer',
): OutgoingHttpHeaders {
  return {
    host: CLIENT_HOST,
    'user-agent': 'qeetmart-web/1.0',
    accept: 'application/json',
    authorization: `Bearer ${TOKENS[caller]}`,
    'x-correlation-id': correlationId,
    'x-request-id': 'chosen-by-the-client',
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    forwarded: 'for=6.6.6.6;proto=https',
    'x-user-id': '1',
    'x-user-email': 'root@evil.example',
    'x-user-role': 'SUPERUSER',
    connection: 'keep-alive, x-hop-secret',
    'x-hop-secret': 'for-this-connection-only',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'proxy-authorization': 'Basic Zm9vOmJhcg==',
    'x-client-trace': 'end-to-end',
    ...extra,
  };
}

/** A JSON body as a client would send it: pretty-printed and non-ASCII, so any re-serialisation shows. */
export function jsonRequest(value: unknown): { body: string; headers: OutgoingHttpHeaders } {
  const body = JSON.stringify(value, null, 2);
  return {
    body,
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) },
  };
}

/** Response headers of a fake service: one custom header and hop-by-hop ones that must not reach the client. */
export function upstreamReplyHeaders(custom: Record<string, string | string[]>): Record<string, string | string[]> {
  return {
    connection: 'x-upstream-hop',
    'x-upstream-hop': 'for-this-connection-only',
    'proxy-authenticate': 'Basic realm="upstream"',
    ...custom,
  };
}

/** What the fake service must see for a request built with {@link clientHeaders}. */
export interface ExpectedDownstream {
  readonly upstream: string;
  readonly method: string;
  readonly path: string;
  readonly correlationId: string;
  /** The exact body and its content type, for requests that carry one. */
  readonly json?: { body: string; headers: OutgoingHttpHeaders };
  /** A public path (login, register, refresh-token): the token is not checked, so no user context goes down. */
  readonly public?: boolean;
  /** Who sent it (see {@link clientHeaders}); a customer unless said. */
  readonly caller?: Caller;
}

/** The user context the JWT layer sends down for each caller's token; the client's forged `x-user-*` never. */
const USER_CONTEXTS: Record<Caller, Record<string, string>> = {
  customer: { 'x-user-id': '42', 'x-user-email': 'ada@example.com', 'x-user-role': 'USER' },
  admin: { 'x-user-id': '42', 'x-user-email': 'ada@example.com', 'x-user-role': 'ADMIN' },
};

/**
 * Asserts that exactly one request reached the service and that it is exactly what the contract
 * says goes downstream (DESIGN.md, "What goes downstream"): headers compared as a whole set.
 * On protected paths the token's user context (`x-user-*`) joins the set.
 */
export function expectDownstream(seen: readonly SeenRequest[], expected: ExpectedDownstream): void {
  expect(seen, 'requests seen by the service').to.have.length(1);
  const request = seen[0]!;
  expect(request.method).to.equal(expected.method);
  expect(request.path).to.equal(expected.path);
  const { connection, traceparent, ...headers } = request.headers;
  // Every exchange carries a trace context of its own (DESIGN.md, "Tracing"): its ids are fresh, so only its form is
  // pinned.
  expect(traceparent, 'traceparent').to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  const body: Record<string, string> =
    expected.json === undefined
      ? {}
      : {
          'content-type': String(expected.json.headers['content-type']),
          'content-length': String(expected.json.headers['content-length']),
        };
  expect(headers).to.deep.equal({
    host: new URL(expected.upstream).host,
    'user-agent': 'qeetmart-web/1.0',
    accept: 'application/json',
    authorization: `Bearer ${TOKENS[expected.caller ?? 'customer']}`,
    'x-client-trace': 'end-to-end',
    'x-correlation-id': expected.correlationId,
    'x-request-id': expected.correlationId,
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-host': CLIENT_HOST,
    'x-forwarded-proto': 'http',
    ...(expected.public === true ? {} : USER_CONTEXTS[expected.caller ?? 'customer']),
    ...body,
  });
  // The gateway's own connection to the service may say close or keep-alive; the client's tokens stay behind.
  expect(connection ?? 'close').to.be.oneOf(['close', 'keep-alive']);
  expect(request.body).to.equal(expected.json?.body ?? '');
}

/**
 * Asserts the upstream's answer reached the client: status, exact body, custom headers; its hop-by-hop headers did not.
 */
export function expectRelayed(
  response: TestResponse,
  expected: { status: number; body: string; correlationId: string; headers: Record<string, string | string[]> },
): void {
  expect(response.status).to.equal(expected.status);
  expect(response.text).to.equal(expected.body);
  for (const [name, value] of Object.entries(expected.headers))
    expect(response.headers[name], name).to.deep.equal(value);
  expect(response.headers['x-correlation-id']).to.equal(expected.correlationId);
  expect(response.headers).not.to.have.property('x-upstream-hop');
  expect(response.headers).not.to.have.property('proxy-authenticate');
}
