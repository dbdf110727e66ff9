import { GatewayError } from '../errors.js';

/*
 * Methods the gateway answers itself and never forwards (DESIGN.md, "What goes downstream"):
 * TRACE echoes the request, cookies and credentials included, back to the caller (cross-site
 * tracing), and the request guard refuses it; CONNECT would make the gateway a tunnel to any host,
 * and the server refuses it, since Node hands CONNECT to its 'connect' listener, never to Koa.
 * A route's `methods` refuse others with the route's own `Allow` list (route-policy.ts).
 */

/** What a client may send instead (RFC 9110 §15.5.6: a 405 lists the allowed methods in `Allow`). */
const ALLOWED = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** The 405 answer to a refused method, with its `Allow` header: every forwarded method, or a route's own list. */
export function methodNotAllowed(method: string, allow = ALLOWED): GatewayError {
  return new GatewayError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed`, { headers: { Allow: allow } });
}
