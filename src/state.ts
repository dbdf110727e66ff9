import type { Middleware, ParameterizedContext } from 'koa';

/** What the layers of the onion tell each other about one request (`ctx.state`). */
export interface GatewayState {
  /** Set by the correlation layer before anything else runs. */
  correlationId: string;
  /** Claims of a valid bearer token, set by the auth layer. */
  user?: { readonly id: string; readonly email: string; readonly role: string | undefined };
  /** Set by the forwarder: which service served the request, what it answered, how it failed. */
  upstream?: { readonly service: string; status?: number; error?: string };
}

/** Koa context of the gateway. */
export type GatewayContext = ParameterizedContext<GatewayState>;

/** A layer of the gateway's onion. */
export type GatewayMiddleware = Middleware<GatewayState>;
