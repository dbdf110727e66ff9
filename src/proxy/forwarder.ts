import http, { type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Got, PlainResponse, Request as GotRequest, RequestFunction } from 'got';
import type { RouteConfig } from '../config/index.js';
import type { GatewayContext, GatewayMiddleware } from '../state.js';
import { instanceOf, startClientSpan } from '../tracing/client-span.js';
import { copyResponseHeaders, upstreamHeadersOf } from './headers.js';
import { rewritePath } from './path.js';
import type { UpstreamExchange, UpstreamOutcomes } from './outcomes.js';
import { requestBody } from './request-body.js';

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
  /** Admits each exchange through the service's breaker and records how it ended (outcomes.ts). */
  readonly outcomes: UpstreamOutcomes;
}

/**
 * Streams the request to the route's service and the response back. Status and headers are set
 * only once the upstream's response has arrived; bodies are never buffered.
 */
export function createForwarder(options: ForwarderOptions): GatewayMiddleware {
  const { route, client, trustProxy, maxBodyBytes, outcomes } = options;
  const { service } = route;
  const base = new URL(service.urls[0]!);
  const origin = base.origin;
  // A base path on the service URL (`http://host/base`) goes in front of the upstream path.
  const upstreamPath = base.pathname.replace(/\/$/, '') + route.upstreamPath;
  const transport = base.protocol === 'https:' ? https : http;
  // Everything but method, headers, body and path is prepared here once: got merges per-request
  // options into its defaults on every call, so the fewer there are the less it copies. The service
  // timeout bounds connecting (`connect`; Node starts a request's idle timer only once connected)
  // and the wait for the response headers (`response`). The idle timeout (`socket`, Node's
  // request.setTimeout) bounds any silence of the connection, nginx's proxy_read_timeout: an event
  // stream with heartbeats further apart than the service timeout flows, a stalled one is cut.
  const { timeoutMs, idleTimeoutMs } = service;
  const serviceClient = client.extend({ timeout: { connect: timeoutMs, response: timeoutMs, socket: idleTimeoutMs } });
  const instance = instanceOf(service.name, base);

  /** One exchange with the service; `reusedSocket` tells whether it went out on a kept-alive socket. */
  function send(ctx: GatewayContext, path: string, headers: OutgoingHttpHeaders, body: Readable | undefined) {
    let native: ClientRequest | undefined;
    // got would normalise the path through WHATWG URL parsing; Node sends `path` as given.
    const request: RequestFunction = (url, nativeOptions, callback) => {
      nativeOptions.path = path;
      native = transport.request(url, nativeOptions, callback);
      return native;
    };
    const span = startClientSpan(ctx, instance, path);
    const upstream = serviceClient.stream(origin + path, { method: ctx.method as 'GET', headers: { ...headers, ...span.headers } as Record<string, string>, body, request });
    span.follow(upstream);
    // With `allowGetBody` got waits for a body on every method: end the request when there is none.
    if (body === undefined) upstream.end();
    // Errors are read by waitForResponse, then by Koa's pipeline; between the two, none may go unheard.
    upstream.on('error', ignore);
    return { upstream, reusedSocket: () => native?.reusedSocket === true };
  }

  /** Sends the request and waits for the response headers, once more when {@link canRetry} allows. */
  async function exchange(ctx: GatewayContext, path: string, headers: OutgoingHttpHeaders, body: Readable | undefined) {
    const first = send(ctx, path, headers, body);
    try {
      return { upstream: first.upstream, response: await waitForResponse(ctx, first.upstream) };
    } catch (error) {
      if (!canRetry(ctx.method, body, first.reusedSocket(), error)) throw error;
    }
    const second = send(ctx, path, headers, body);
    return { upstream: second.upstream, response: await waitForResponse(ctx, second.upstream) };
  }

  return async function forward(ctx) {
    const path = rewritePath(ctx.url, route.prefix, upstreamPath);
    const headers = upstreamHeadersOf(ctx, trustProxy);
    // Admission comes first: a request its circuit refuses reads nothing of the client's body.
    const outcome = outcomes.begin(ctx, service.name);

    let upstream: GotRequest;
    let response: PlainResponse;
    try {
      const body = requestBody(ctx.req, maxBodyBytes);
      ({ upstream, response } = await exchange(ctx, path, headers, body));
    } catch (error) {
      if (!(error instanceof ClientGoneError)) throw outcome.failed(error);
      outcome.clientLeft();
      throw error;
    }
    outcome.responded(response.statusCode);
    watchBody(ctx, upstream, outcome);
    ctx.res.statusCode = response.statusCode;
    copyResponseHeaders(ctx, response.headers);
    // The body goes straight to the socket with backpressure, not through Koa's response: Koa would
    // run a stream.pipeline (with an AbortSignal and a DOMException per response) and retype an
    // untyped body. Headers leave with the first byte, after the outer layers have added theirs.
    ctx.respond = false;
    upstream.pipe(ctx.res);
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

function ignore(): void {}

/**
 * Once the response has begun, a failure of the service is recorded here: the response is cut and
 * the cut recorded once. A client that leaves cancels the upstream request; an error that follows
 * is the client's doing, not the service's.
 */
function watchBody(ctx: GatewayContext, upstream: GotRequest, outcome: UpstreamExchange): void {
  let clientGone = false;
  ctx.res.once('close', () => {
    if (ctx.res.writableFinished) return;
    clientGone = true;
    upstream.destroy();
  });
  upstream.once('error', (error) => {
    if (!clientGone) outcome.failedMidBody(error);
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
