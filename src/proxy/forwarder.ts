import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { PassThrough, Transform, type Duplex, type Readable } from 'node:stream';
import type { Got, PlainResponse, Request as GotRequest, RequestFunction } from 'got';
import type { RouteConfig } from '../config/index.js';
import { GatewayError } from '../errors.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';
import { buildUpstreamHeaders, responseHeaders } from './headers.js';
import { rewritePath } from './path.js';
import { mapUpstreamError } from './upstream-errors.js';

/** The client left before the upstream answered: nothing is written, the request log says 499. */
class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/** Options of the forwarder for one route. */
export interface ForwarderOptions {
  readonly route: RouteConfig;
  /** The one got instance made at start-up (see client.ts). */
  readonly client: Got;
  readonly trustProxy: boolean;
  readonly maxBodyBytes: number;
}

/**
 * Streams the request to the route's service and the response back. Status and headers are set
 * only once the upstream's response has arrived; bodies are never buffered.
 */
export function createForwarder(options: ForwarderOptions): GatewayMiddleware {
  const { route, client, trustProxy, maxBodyBytes } = options;
  const { service } = route;
  const base = new URL(service.url);
  const origin = base.origin;
  // A base path on the service URL (`http://host/base`) goes in front of the upstream path.
  const upstreamPath = base.pathname.replace(/\/$/, '') + route.upstreamPath;
  const transport = base.protocol === 'https:' ? https : http;
  const timeout = Object.freeze({ connect: service.timeoutMs, socket: service.timeoutMs, response: service.timeoutMs });

  /** One exchange with the service; `reusedSocket` tells whether it went out on a kept-alive socket. */
  function send(ctx: GatewayContext, path: string, headers: OutgoingHttpHeaders, body: Readable | undefined) {
    let native: ClientRequest | undefined;
    // got would normalise the path through WHATWG URL parsing; Node sends `path` as given.
    const request: RequestFunction = (url, nativeOptions, callback) => {
      nativeOptions.path = path;
      native = transport.request(url, nativeOptions, callback);
      return native;
    };
    const upstream = client.stream(origin + path, { method: ctx.method as 'GET', headers: headers as Record<string, string>, body, timeout, request });
    // With `allowGetBody` got waits for a body on every method: end the request when there is none.
    if (body === undefined) upstream.end();
    // Errors are read by waitForResponse, then by Koa's pipeline; between the two, none may go unheard.
    upstream.on('error', ignore);
    return { upstream, reusedSocket: () => native?.reusedSocket === true };
  }

  return async function forward(ctx) {
    const declaredLength = ctx.req.headers['content-length'];
    if (declaredLength !== undefined && Number(declaredLength) > maxBodyBytes) throw payloadTooLarge(maxBodyBytes);

    const path = rewritePath(ctx.url, route.prefix, upstreamPath);
    const headers = buildUpstreamHeaders(ctx.req.headers, {
      peerAddress: ctx.req.socket.remoteAddress ?? '',
      protocol: ctx.protocol,
      trustProxy,
      correlationId: ctx.state.correlationId,
      user: ctx.state.user,
    });
    const body = requestBody(ctx, declaredLength, maxBodyBytes);
    ctx.state.upstream = { service: service.name };

    let exchange = send(ctx, path, headers, body);
    let response: PlainResponse;
    try {
      response = await waitForResponse(ctx, exchange.upstream);
    } catch (error) {
      if (error instanceof ClientGoneError) throw error;
      if (!canRetry(ctx.method, body, exchange.reusedSocket(), error)) throw mapUpstreamError(error, service.name);
      exchange = send(ctx, path, headers, body);
      try {
        response = await waitForResponse(ctx, exchange.upstream);
      } catch (retryError) {
        if (retryError instanceof ClientGoneError) throw retryError;
        throw mapUpstreamError(retryError, service.name);
      }
    }
    const upstream = exchange.upstream;
    ctx.state.upstream.status = response.statusCode;
    ctx.status = response.statusCode;
    for (const [name, value] of responseHeaders(response.headers)) {
      if (name === 'vary') ctx.vary(String(value));
      // Headers the gateway already set (correlation id, security, CORS, rate limit) win.
      else if (!ctx.res.hasHeader(name)) ctx.set(name, value);
    }
    ctx.body = upstream;
    // Koa labels an untyped stream application/octet-stream; the upstream's answer had no type.
    if (response.headers['content-type'] === undefined) ctx.remove('Content-Type');
  };
}

/** Methods whose request may be sent twice with the effect of once (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE']);

/**
 * A kept-alive socket that the service closed while the request was on its way fails before any
 * byte of response: an idempotent request without a body is sent once more on a new connection
 * (Node's `request.reusedSocket` idiom). Anything with a body, and any POST, is never retried.
 */
function canRetry(method: string, body: Readable | undefined, reusedSocket: boolean, error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return reusedSocket && body === undefined && IDEMPOTENT_METHODS.has(method) && typeof code === 'string' && CONNECTION_LOST.has(code);
}

/** The request body to stream upstream, counted against `maxBodyBytes` when its length is not declared. */
function requestBody(ctx: GatewayContext, declaredLength: string | undefined, maxBodyBytes: number): Readable | undefined {
  if (ctx.method === 'HEAD') return undefined;
  if (declaredLength !== undefined) return declaredLength === '0' ? undefined : detach(ctx.req, new PassThrough());
  if (ctx.req.headers['transfer-encoding'] === undefined) return undefined;
  let received = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > maxBodyBytes ? payloadTooLarge(maxBodyBytes) : null, chunk);
    },
  });
  return detach(ctx.req, limiter);
}

/**
 * Pipes the client's body into `body`, the stream got reads. got destroys that stream when the
 * exchange fails; had it been `ctx.req` itself, the client's connection would be reset before its
 * 502 is written. What the client still sends is then read and dropped, as Node does for a body
 * nobody read, so a kept-alive connection stays usable.
 */
function detach<T extends Duplex>(request: IncomingMessage, body: T): T {
  request.pipe(body);
  body.once('close', () => {
    if (!request.complete) request.resume();
  });
  return body;
}

function ignore(): void {}

function payloadTooLarge(maxBodyBytes: number): GatewayError {
  // The rest of the body is not read: the connection cannot be reused.
  return new GatewayError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes`, {
    headers: { Connection: 'close' },
  });
}

/** Resolves with the upstream's response headers; a client that leaves first cancels the upstream request. */
function waitForResponse(ctx: GatewayContext, upstream: GotRequest): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const onClientClose = (): void => {
      upstream.destroy();
      reject(new ClientGoneError('client closed the connection'));
    };
    const settle = (): void => {
      ctx.res.off('close', onClientClose);
      upstream.off('error', onError);
      upstream.off('response', onResponse);
    };
    const onResponse = (response: PlainResponse): void => {
      settle();
      resolve(response);
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    upstream.once('response', onResponse);
    upstream.once('error', onError);
    ctx.res.once('close', onClientClose);
  });
}
