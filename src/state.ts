import type { Middleware, ParameterizedContext } from 'koa';
import type { AccessClaims } from './auth/claims.js';
import type { RequestTrace } from './tracing/request-trace.js';

/** What the layers of the onion tell each other about one request (`ctx.state`). */
export interface GatewayState {
  /** Set by the correlation layer before anything else runs. */
  correlationId: string;
  /** Set by the tracing layer, right after the correlation id: the request's server span and trace context. */
  trace?: RequestTrace;
  /** Claims of a verified token, as koa-jwt stores them inside the auth layer. */
  claims?: AccessClaims;
  /** The user a valid bearer token names, set by the auth layer and sent downstream as `x-user-*`. */
  user?: { readonly id: string; readonly email: string; readonly role: string | undefined };
  /** Set by the forwarder, the one owner of the exchange with the service. */
  upstream?: UpstreamState;
  /** The limit nearest to exhaustion so far, set by the rate-limit layers. */
  rateLimit?: RateLimitState;
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

/** Which service served a request, what it answered, how it failed: written by the forwarder only. */
export interface UpstreamState {
  readonly service: string;
  status?: number;
  /** Transport error code when the exchange with the service failed. */
  error?: string;
  /** Status for the request log when the service's failure cut the response short (502); unset, a cut response is the client leaving (499). */
  cutStatus?: number;
}

/** Koa context of the gateway. */
export type GatewayContext = ParameterizedContext<GatewayState>;

/** A layer of the gateway's onion. */
export type GatewayMiddleware = Middleware<GatewayState>;
