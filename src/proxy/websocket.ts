import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { RouteConfig } from '../config/index.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayContext } from '../state.js';
import { instanceOf, startClientSpan } from '../tracing/client-span.js';
import { ACCESS_TOKEN_PARAMETER } from '../upgrade.js';
import { copyResponseHeaders, responseHeaders, upstreamHeadersOf, webSocketRequestHeaders } from './headers.js';
import type { UpstreamOutcomes } from './outcomes.js';
import { rewritePath, withoutQueryParameter } from './path.js';

/** Options of the WebSocket tunnel for one route. */
export interface TunnelOptions {
  readonly route: RouteConfig;
  readonly trustProxy: boolean;
  /** Admits each handshake through the service's breaker and records how it ended (outcomes.ts). */
  readonly outcomes: UpstreamOutcomes;
  /** A tunnel with no byte either way for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly lifecycle: Lifecycle;
  readonly metrics: GatewayMetrics;
}

/** How the handshake ended: the service switched protocols (with its socket), answered otherwise, failed, or the client left. */
type Handshake =
  | { readonly response: IncomingMessage; readonly socket: Socket; readonly head: Buffer }
  | { readonly response: IncomingMessage; readonly socket?: undefined }
  | { readonly failure: unknown }
  | { readonly clientLeft: true };

/**
 * Carries a WebSocket handshake that passed the onion to the route's service, with the same path
 * rewrite and downstream headers as any request (minus the `access_token` query parameter). got
 * cannot carry an upgrade, so this one path uses node:http. On the service's 101 the client gets
 * that 101 and the bytes then flow both ways untouched until either side closes; any other answer
 * is relayed as it is. `head` holds what the client sent after its request headers.
 */
export function createTunnel(options: TunnelOptions): (ctx: GatewayContext, head: Buffer) => Promise<void> {
  const { route, trustProxy, outcomes, idleTimeoutMs, lifecycle, metrics } = options;
  const { service } = route;
  const base = new URL(service.urls[0]!);
  const upstreamPath = base.pathname.replace(/\/$/, '') + route.upstreamPath;
  const transport = base.protocol === 'https:' ? https : http;
  const instance = instanceOf(service.name, base);

  /** Sends the handshake; the service timeout bounds connecting and the wait for its answer. */
  function handshake(ctx: GatewayContext, path: string, headers: OutgoingHttpHeaders): Promise<Handshake> {
    return new Promise((resolve) => {
      let clientLeft = false;
      // A connection of its own: after a 101 it belongs to the tunnel, never to a pool.
      const span = startClientSpan(ctx, instance, path);
      const request = transport.request(base.origin, { method: 'GET', path, headers: { ...headers, ...span.headers }, agent: false });
      span.follow(request);
      const timer = setTimeout(() => {
        request.destroy(Object.assign(new Error(`no answer within ${service.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, service.timeoutMs);
      // The client left during the handshake: the service's connection goes too.
      const onClientClose = (): void => {
        clientLeft = true;
        request.destroy();
      };
      const stopWatching = watchClientLeaving(ctx.req.socket);
      const settle = (): void => {
        clearTimeout(timer);
        stopWatching();
        ctx.res.off('close', onClientClose);
      };
      request.on('error', (error) => {
        settle();
        resolve(clientLeft ? { clientLeft } : { failure: error });
      });
      request.once('response', (response: IncomingMessage) => {
        settle();
        resolve({ response });
      });
      request.once('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
        settle();
        resolve({ response, socket, head });
      });
      ctx.res.once('close', onClientClose);
      request.end();
    });
  }

  /** Relays the service's 101, then joins the two sockets until either closes or the tunnel idles. */
  function open(ctx: GatewayContext, upstream: { response: IncomingMessage; socket: Socket; head: Buffer }, clientHead: Buffer): void {
    const client = ctx.req.socket;
    const server = upstream.socket;
    ctx.respond = false;
    // The client left as the service switched: no tunnel to open, nothing to count.
    if (client.destroyed) {
      server.destroy();
      return;
    }
    ctx.res.writeHead(101, switchingHeaders(ctx, upstream.response.headers));
    ctx.res.flushHeaders();
    server.on('error', ignore);
    client.setNoDelay(true);
    server.setNoDelay(true);
    if (upstream.head.length > 0) client.write(upstream.head);
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
    const outcome = outcomes.begin(ctx, service.name);
    const answer = await handshake(ctx, path, webSocketRequestHeaders(ctx.req.headers, forwarded));
    if ('clientLeft' in answer) {
      outcome.clientLeft();
      // Nobody is left to answer; the request log says 499.
      ctx.respond = false;
      return;
    }
    if ('failure' in answer) throw outcome.failed(answer.failure);
    outcome.responded(answer.response.statusCode ?? 0);
    if (answer.socket !== undefined) open(ctx, answer, head);
    else relay(ctx, answer.response);
  };
}

/** The 101's headers: the service's end-to-end ones (`Sec-WebSocket-*` …) unless the gateway set them, plus the upgrade itself. */
function switchingHeaders(ctx: GatewayContext, upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of responseHeaders(upstream)) if (!ctx.res.hasHeader(name)) headers[name] = value;
  headers.connection = 'Upgrade';
  headers.upgrade = upstream.upgrade;
  return headers;
}

/** A service that did not switch protocols: its answer goes to the client as it is, as the forwarder relays any response. */
function relay(ctx: GatewayContext, response: IncomingMessage): void {
  ctx.status = response.statusCode ?? 502;
  copyResponseHeaders(ctx, response.headers);
  ctx.body = response;
  if (response.headers['content-type'] === undefined) ctx.remove('Content-Type');
}

/**
 * Nothing reads the client's socket before the tunnel opens (its frames must wait for the 101),
 * so a client that leaves shows only as the end of what it sent: read for that end without
 * consuming anything, and close the connection when it comes (the response's 'close' follows).
 * Returns the function that stops watching, before the socket is piped.
 */
function watchClientLeaving(client: Socket): () => void {
  const onReadable = (): void => {
    if (client.readableLength === 0) client.read(0);
  };
  const onEnd = (): void => void client.destroy();
  client.on('readable', onReadable);
  client.once('end', onEnd);
  return () => {
    client.off('readable', onReadable);
    client.off('end', onEnd);
  };
}

function ignore(): void {}
