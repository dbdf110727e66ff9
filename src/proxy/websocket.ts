import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { RouteConfig } from '../config/index.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayContext } from '../state.js';
import type { Upstream } from '../upstream/upstream.js';
import { ACCESS_TOKEN_PARAMETER } from '../upgrade.js';
import { copyResponseHeaders, responseHeaders, upstreamHeadersOf, webSocketRequestHeaders } from './headers.js';
import { rewritePath, withoutQueryParameter } from './path.js';
import { ignore } from '../ignore.js';

/** Options of the WebSocket tunnel for one route. */
export interface TunnelOptions {
  readonly route: RouteConfig;
  /** The route's service: instances, breaker and outcome recording are its business. */
  readonly upstream: Upstream;
  readonly trustProxy: boolean;
  /** A tunnel with no byte either way for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
}

/**
 * Carries a WebSocket handshake that passed the onion to the route's service, with the same path
 * rewrite and downstream headers as any request (minus the `access_token` query parameter). On the
 * service's 101 the client gets that 101 and the bytes then flow both ways untouched until either
 * side closes; any other answer is relayed as it is. `head` holds what the client sent after its
 * request headers.
 */
export function createTunnel(options: TunnelOptions): (ctx: GatewayContext, head: Buffer) => Promise<void> {
  const { route, upstream, trustProxy, idleTimeoutMs, lifecycle, metrics } = options;
  const upstreamPath = upstream.basePath + route.upstreamPath;

  /** Relays the service's 101, then joins the two sockets until either closes or the tunnel idles. */
  function open(
    ctx: GatewayContext,
    switched: { response: IncomingMessage; socket: Socket; head: Buffer },
    clientHead: Buffer,
  ): void {
    const client = ctx.req.socket;
    const server = switched.socket;
    ctx.respond = false;
    // The client left as the service switched: no tunnel to open, nothing to count.
    if (client.destroyed) {
      server.destroy();
      return;
    }
    ctx.res.writeHead(101, switchingHeaders(ctx, switched.response.headers));
    ctx.res.flushHeaders();
    server.on('error', ignore);
    client.setNoDelay(true);
    server.setNoDelay(true);
    if (switched.head.length > 0) client.write(switched.head);
    if (clientHead.length > 0) server.write(clientHead);
    server.pipe(client);
    client.pipe(server);

    const shut = (): void => {
      client.destroy();
      server.destroy();
    };
    const forget = lifecycle.openTunnel(shut);
    metrics.tunnels(1);
    // Socket timeouts count reads and writes: every byte of the tunnel passes through `client`.
    client.setTimeout(idleTimeoutMs, shut);
    // A clean close lets what is already written (a close frame) reach the other side first.
    server.once('close', (hadError: boolean) => (hadError ? client.destroy() : client.destroySoon()));
    client.once('close', (hadError: boolean) => {
      if (hadError) server.destroy();
      else server.destroySoon();
      forget();
      metrics.tunnels(-1);
    });
  }

  return async function tunnel(ctx, head) {
    const path = withoutQueryParameter(rewritePath(ctx.url, route.prefix, upstreamPath), ACCESS_TOKEN_PARAMETER);
    const forwarded = upstreamHeadersOf(ctx, trustProxy);
    // The service's circuit admits the handshake as it admits any request (503 CIRCUIT_OPEN when open).
    const answer = await upstream.handshake(ctx, path, webSocketRequestHeaders(ctx.req.headers, forwarded));
    if ('clientLeft' in answer) {
      // Nobody is left to answer; the request log says 499.
      ctx.respond = false;
      return;
    }
    if (answer.socket !== undefined) open(ctx, answer, head);
    else relay(ctx, answer.response);
  };
}

/**
 * The 101's headers: the service's end-to-end ones (`Sec-WebSocket-*` …) unless the gateway set them, plus the upgrade
 * itself.
 */
function switchingHeaders(ctx: GatewayContext, upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of responseHeaders(upstream)) if (!ctx.res.hasHeader(name)) headers[name] = value;
  headers.connection = 'Upgrade';
  headers.upgrade = upstream.upgrade;
  return headers;
}

/**
 * A service that did not switch protocols: its answer goes to the client as it is, as the forwarder relays any
 * response.
 */
function relay(ctx: GatewayContext, response: IncomingMessage): void {
  ctx.status = response.statusCode ?? 502;
  copyResponseHeaders(ctx, response.headers);
  ctx.body = response;
  if (response.headers['content-type'] === undefined) ctx.remove('Content-Type');
}
