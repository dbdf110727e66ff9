import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ForwardedUser } from '../auth/user.js';
import type { GatewayContext } from '../state.js';

/** Hop-by-hop headers: meaningful for one connection only, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers the gateway sets itself or must not pass on: `host` (the upstream's is used),
 * the forwarding headers (rebuilt below), the correlation pair, `expect` (this server already
 * answered the client's `100-continue`), and the trace context (each exchange sends its own,
 * tracing/client-span.ts).
 */
const REPLACED_REQUEST_HEADERS = new Set([
  'host',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
  'x-correlation-id',
  'x-request-id',
  'expect',
  'traceparent',
  'tracestate',
]);

/**
 * Upstream response headers that never reach the client (with `access-control-*`: CORS is the gateway's, see
 * cors-policy.ts).
 */
const DROPPED_RESPONSE_HEADERS = new Set(['x-powered-by']);

/**
 * Response headers where the service's value wins over the gateway's default: a service serving an
 * image or a file for other sites says `Cross-Origin-Resource-Policy: cross-origin`, and a browser
 * would block it if the gateway's `same-origin` replaced that (DESIGN.md, "CORS and headers").
 */
const SERVICE_WINS = new Set(['cross-origin-resource-policy']);

/** What the gateway knows about the client connection and the request. */
export interface ForwardingContext {
  /** Address of the immediate peer (the socket's remote address). */
  readonly peerAddress: string;
  readonly protocol: string;
  readonly trustProxy: boolean;
  readonly correlationId: string;
  readonly user: ForwardedUser | undefined;
}

/**
 * CGI, WSGI and Rack read both `x-user-id` and `x_user_id` as `HTTP_X_USER_ID`, so a client's
 * `x_user_id` would pass as the gateway's user context: names with `_` are dropped, as nginx does
 * by default (`underscores_in_headers off`; RFC 3875 §4.1.18).
 */
function isUnderscored(name: string): boolean {
  return name.includes('_');
}

/** True for `proxy-*` and the fixed hop-by-hop names. */
function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-');
}

/** Header names listed in a `Connection` header: hop-by-hop for this message (RFC 9110 §7.6.1). */
export function connectionOptions(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const names = new Set<string>();
  for (const part of String(connection).split(',')) {
    const name = part.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name);
  }
  return names.size > 0 ? names : undefined;
}

/**
 * Headers for the upstream request: end-to-end headers of the client (none with `_` in its name) plus forwarding and
 * user context.
 */
export function buildUpstreamHeaders(incoming: IncomingHttpHeaders, context: ForwardingContext): OutgoingHttpHeaders {
  const named = connectionOptions(incoming.connection);
  const headers: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (isHopByHop(name) || REPLACED_REQUEST_HEADERS.has(name) || name.startsWith('x-user-') || isUnderscored(name))
      continue;
    if (named?.has(name)) continue;
    headers[name] = incoming[name];
  }
  const { trustProxy } = context;
  const forwardedFor = incoming['x-forwarded-for'];
  headers['x-forwarded-for'] =
    trustProxy && forwardedFor ? `${[forwardedFor].flat().join(', ')}, ${context.peerAddress}` : context.peerAddress;
  const host = (trustProxy && incoming['x-forwarded-host']) || incoming.host;
  if (host !== undefined) headers['x-forwarded-host'] = host;
  headers['x-forwarded-proto'] = (trustProxy && incoming['x-forwarded-proto']) || context.protocol;
  if (trustProxy && incoming.forwarded !== undefined) headers.forwarded = incoming.forwarded;
  headers['x-correlation-id'] = context.correlationId;
  headers['x-request-id'] = context.correlationId;
  if (context.user !== undefined) {
    headers['x-user-id'] = context.user.id;
    headers['x-user-email'] = context.user.email;
    if (context.user.role !== undefined) headers['x-user-role'] = context.user.role;
  }
  return headers;
}

/**
 * The upstream response headers the client receives: everything but hop-by-hop headers,
 * `access-control-*` (CORS is decided by the gateway) and `x-powered-by`.
 */
export function* responseHeaders(upstream: IncomingHttpHeaders): Generator<[string, string | string[]]> {
  const named = connectionOptions(upstream.connection);
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || isHopByHop(name) || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    if (name.startsWith('access-control-') || named?.has(name)) continue;
    yield [name, value];
  }
}

/**
 * The hop-by-hop headers of a WebSocket opening handshake, added back for that request only
 * (RFC 6455 §4.1): `Connection: Upgrade`, the client's `Upgrade`, and every `Sec-WebSocket-*`
 * header (even one the client's `Connection` named).
 */
export function webSocketRequestHeaders(
  incoming: IncomingHttpHeaders,
  forwarded: OutgoingHttpHeaders,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...forwarded, connection: 'Upgrade', upgrade: incoming.upgrade };
  for (const name in incoming) if (name.startsWith('sec-websocket-')) headers[name] = incoming[name];
  return headers;
}

/** The downstream headers of the request in `ctx`, as the onion left it (correlation id, verified user). */
export function upstreamHeadersOf(ctx: GatewayContext, trustProxy: boolean): OutgoingHttpHeaders {
  return buildUpstreamHeaders(ctx.req.headers, {
    peerAddress: ctx.req.socket.remoteAddress ?? '',
    protocol: ctx.protocol,
    trustProxy,
    correlationId: ctx.state.correlationId,
    user: ctx.state.user,
  });
}

/**
 * Puts the service's response headers on the client response: headers the gateway set already
 * (correlation id, security, CORS, rate limit) win, but for the service's own
 * `Cross-Origin-Resource-Policy`, and `Vary` is merged with the gateway's.
 */
export function copyResponseHeaders(ctx: GatewayContext, upstream: IncomingHttpHeaders): void {
  const { res } = ctx;
  for (const [name, value] of responseHeaders(upstream)) {
    if (name === 'vary') ctx.vary(String(value));
    else if (!res.hasHeader(name) || SERVICE_WINS.has(name)) res.setHeader(name, value);
  }
}
