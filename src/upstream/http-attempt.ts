import http, { type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import got, { type Got, type PlainResponse, type Request as GotRequest, type RequestFunction } from 'got';
import type { ServiceConfig } from '../config/index.js';
import type { GatewayContext } from '../state.js';
import { startClientSpan } from '../tracing/client-span.js';
import type { Instance } from './instance.js';
import type { ReplayableBody } from './replayable-body.js';
import { ignore } from '../ignore.js';

/** The client left before the service answered: nothing is written, the request log says 499. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/** An answered attempt: the response headers, and the stream its body comes on. */
export interface HttpAnswer {
  readonly response: PlainResponse;
  readonly body: GotRequest;
}

/** A failed attempt: what failed, and whether it went out on a kept-alive socket. */
export class AttemptError extends Error {
  override name = 'AttemptError';
  constructor(
    readonly failure: unknown,
    readonly reusedSocket: boolean,
  ) {
    super('upstream attempt failed', { cause: failure });
  }
}

/**
 * The got client of one service, made once: everything a request does not change is set here.
 * The service timeout bounds connecting (`connect`; Node starts a request's idle timer only once
 * connected) and the wait for the response headers (`response`). The idle timeout (`socket`,
 * Node's request.setTimeout) bounds any silence once under way, nginx's proxy_read_timeout: an
 * event stream with heartbeats further apart than the service timeout flows, a stalled one is cut.
 */
export function createServiceClient(service: ServiceConfig): Got {
  const client = got.extend({
    decompress: false,
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    allowGetBody: true,
    // got would add its own User-Agent to requests whose client sent none; undefined removes it.
    headers: { 'user-agent': undefined },
    timeout: { connect: service.timeoutMs, response: service.timeoutMs, socket: service.idleTimeoutMs },
    // Mutable only until the two lines below; frozen again there.
    mutableDefaults: true,
  });
  // got builds each request's options as `{ ...cacheOptions, ALPNProtocols, ca, … }`, 34 keys after
  // a spread of its four unset cache options (createNativeRequestOptions, got 14
  // dist/source/core/options.js). From the 11th call on, V8 11 (Node 20) gives every such object
  // new hidden classes, and what they hold is promoted: ~13 KiB a request in the old generation
  // that only a full GC frees. An empty spread keeps one hidden class. No cache is used here.
  client.defaults.options.cacheOptions = {};
  client.defaults.options.freeze();
  return client;
}

/**
 * Sends one attempt of a request to `instance` and resolves once its response headers arrive.
 * Until its connection is up, the body can still go to another instance (replayable-body.ts).
 * Rejects with {@link AttemptError}, or {@link ClientGoneError} when the client leaves first (the
 * attempt is then cancelled).
 */
export function sendAttempt(
  client: Got,
  attempt: {
    ctx: GatewayContext;
    service: string;
    instance: Instance;
    method: string;
    url: string;
    path: string;
    headers: OutgoingHttpHeaders;
    body: ReplayableBody | undefined;
  },
): Promise<HttpAnswer> {
  const { instance, path, body } = attempt;
  const { target } = instance;
  const transport = target.secure ? https : http;
  let native: ClientRequest | undefined;
  // got hands its request function a URL and ~34 options, mostly unset TLS fields that Node then
  // copies twice; Node gets only what applies, to the instance's address. `path` goes as given:
  // got would normalise it through WHATWG URL parsing.
  const request: RequestFunction = (_url, options, callback) => {
    native = transport.request(
      {
        hostname: target.address,
        port: target.port,
        path,
        method: options.method,
        headers: options.headers,
        agent: instance.agent,
        ...(target.secure ? { servername: target.servername } : {}),
      },
      callback,
    );
    if (body !== undefined)
      native.once('socket', (socket: Socket) =>
        socket.connecting ? socket.once('connect', () => body.connected()) : body.connected(),
      );
    return native;
  };
  // Each attempt is a CLIENT span of its own, the parent of the traceparent it sends.
  const span = startClientSpan(
    attempt.ctx,
    {
      service: attempt.service,
      protocol: target.secure ? 'https:' : 'http:',
      address: target.address,
      port: target.port,
    },
    path,
  );
  const headers = { ...attempt.headers, ...span.headers, host: target.host };
  const upstream = client.stream(attempt.url, {
    method: attempt.method as 'GET',
    headers: headers as Record<string, string>,
    body: body?.attempt(),
    request,
  });
  span.follow(upstream);
  // With `allowGetBody` got waits for a body on every method: end the request when there is none.
  if (body === undefined) upstream.end();
  // Errors are read below, then by whoever pipes the body; between the two, none may go unheard.
  upstream.on('error', ignore);
  return new Promise((resolve, reject) => {
    const clientResponse = attempt.ctx.res;
    const onClientClose = (): void => {
      upstream.destroy();
      reject(new ClientGoneError('client closed the connection'));
    };
    const settle = (): void => {
      clientResponse.off('close', onClientClose);
      upstream.off('error', onError);
      upstream.off('response', onResponse);
    };
    const onResponse = (response: PlainResponse): void => {
      settle();
      resolve({ response, body: upstream });
    };
    const onError = (error: Error): void => {
      settle();
      reject(new AttemptError(error, native?.reusedSocket === true));
    };
    upstream.once('response', onResponse);
    upstream.once('error', onError);
    clientResponse.once('close', onClientClose);
  });
}
