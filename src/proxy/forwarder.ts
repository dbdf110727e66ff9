import type { RouteConfig } from '../config/index.js';
import type { GatewayMiddleware } from '../state.js';
import type { Upstream } from '../upstream/upstream.js';
import { copyResponseHeaders, upstreamHeadersOf } from './headers.js';
import { rewritePath } from './path.js';
import { requestBody } from './request-body.js';

/** Options of the forwarder for one route. */
export interface ForwarderOptions {
  readonly route: RouteConfig;
  /** The route's service: instances, breaker and outcome recording are its business. */
  readonly upstream: Upstream;
  readonly trustProxy: boolean;
  readonly maxBodyBytes: number;
}

/**
 * Streams the request to the route's service and the response back. Status and headers are set
 * only once the upstream's response has arrived; bodies are never buffered.
 */
export function createForwarder(options: ForwarderOptions): GatewayMiddleware {
  const { route, upstream, trustProxy, maxBodyBytes } = options;
  // A base path on the service URL (`http://host/base`) goes in front of the upstream path.
  const upstreamPath = upstream.basePath + route.upstreamPath;

  return async function forward(ctx) {
    const path = rewritePath(ctx.url, route.prefix, upstreamPath);
    const headers = upstreamHeadersOf(ctx, trustProxy);
    const { response, body } = await upstream.request(ctx, path, headers, () => requestBody(ctx.req, maxBodyBytes));
    ctx.res.statusCode = response.statusCode;
    copyResponseHeaders(ctx, response.headers);
    // The body goes straight to the socket with backpressure, not through Koa's response: Koa would
    // run a stream.pipeline (with an AbortSignal and a DOMException per response) and retype an
    // untyped body. Headers leave with the first byte, after the outer layers have added theirs.
    ctx.respond = false;
    body.pipe(ctx.res);
  };
}
