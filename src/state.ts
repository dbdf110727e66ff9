import type { Middleware, ParameterizedContext } from 'koa';
import type { AccessClaims, ForwardedUser } from './auth/user.js';
import type { ErrorCode } from './errors.js';
import type { RequestTrace } from './tracing/request-trace.js';

/** What the layers of the onion tell each other about one request (`ctx.state`). */
export interface GatewayState {
  /** Set by the correlation layer before anything else runs. */
  correlationId: string;
  /**
   * The gateway file's routes, policies and upstreams this request runs on, from start to end: set by the routing
   * layer, next after correlation.
   */
  routing: RequestRouting;
  /** Set by the tracing layer, right after the correlation id: the request's server span and trace context. */
  trace?: RequestTrace;
  /** Claims of a verified token, as koa-jwt stores them inside the auth layer. */
  claims?: AccessClaims;
  /** The user a valid bearer token names, set by the auth layer and sent downstream as `x-user-*`. */
  user?: ForwardedUser;
  /** Set by the service's Upstream, the one owner of the exchange with the service. */
  upstream?: UpstreamState;
  /** The user whose limit the IP limit layer has counted already (a cached token): the user layer counts it no more. */
  userLimitCounted?: string;
  /** The limit nearest to exhaustion so far, set by the rate-limit layers. */
  rateLimit?: RateLimitState;
  /**
   * The envelope's code and message when the gateway answered with an error, set by the error layer: the request log's
   * reason.
   */
  refusal?: { readonly code: ErrorCode; readonly message: string };
}

/** What the layers read of the gateway file's snapshot a request runs on (routing-snapshot.ts builds the whole). */
export interface RequestRouting {
  /** Paths needing no token, each with everything below it (the auth layer). */
  readonly publicPaths: readonly string[];
  /** The layers built from the file, by the name of the onion entry that runs them. */
  readonly layers: {
    readonly 'rate-limit-ip': GatewayMiddleware;
    readonly 'route-policy': GatewayMiddleware;
    readonly router: GatewayMiddleware;
  };
  /** The `route` label of a path in the request metrics. */
  readonly routeLabel: (path: string) => string;
}

/** Which limit: per client IP, per route and client IP, or per verified user. */
export type LimitKind = 'ip' | 'route' | 'user';

/** One limit as a request left it: what the `RateLimit-*` headers describe. */
export interface RateLimitState {
  readonly kind: LimitKind;
  readonly limit: number;
  readonly remaining: number;
  readonly resetSeconds: number;
  /** True when this request went over the limit. */
  readonly exceeded: boolean;
}

/** Which service and instance served a request, what it answered, how it failed: written by its Upstream only. */
export interface UpstreamState {
  readonly service: string;
  /** The instance (`address:port`) of the last attempt. */
  instance?: string;
  status?: number;
  /** Transport error code when the exchange with the service failed. */
  error?: string;
  /**
   * Status for the request log when the service's failure cut the response short (502); unset, a cut response is the
   * client leaving (499).
   */
  cutStatus?: number;
}

/** Koa context of the gateway. */
export type GatewayContext = ParameterizedContext<GatewayState>;

/** A layer of the gateway's onion. */
export type GatewayMiddleware = Middleware<GatewayState>;
