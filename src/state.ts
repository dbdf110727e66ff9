import type { Middleware, ParameterizedContext } from 'koa';
import type { AccessClaims } from './auth/claims.js';

/** What the layers of the onion tell each other about one request (`ctx.state`). */
export interface GatewayState {
  /** Set by the correlation layer before anything else runs. */
  correlationId: string;
  /** Claims of a verified token, as koa-jwt stores them inside the auth layer. */
  claims?: AccessClaims;
  /** The user a valid bearer token names, set by the auth layer and sent downstream as `x-user-*`. */
  user?: { readonly id: string; readonly email: string; readonly role: string | undefined };
  /** Set by the forwarder. */
  upstream?: UpstreamState;
}

/** Which service served a request, what it answered, how it failed. */
export interface UpstreamState {
  readonly service: string;
  status?: number;
  /** Transport error code when the service failed after its response headers. */
  error?: string;
}

/** Koa context of the gateway. */
export type GatewayContext = ParameterizedContext<GatewayState>;

/** A layer of the gateway's onion. */
export type GatewayMiddleware = Middleware<GatewayState>;
