import { GatewayError } from '../errors.js';

/**
 * Methods the gateway answers itself and never forwards: TRACE echoes the request, cookies and
 * credentials included, back to the caller (cross-site tracing); CONNECT would make the gateway a
 * tunnel to any host. DESIGN.md, "What goes downstream".
 */
const REFUSED_METHODS = new Set(['TRACE', 'CONNECT']);

/** What a client may send instead (RFC 9110 §15.5.6: a 405 lists the allowed methods in `Allow`). */
const ALLOWED = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** True for a method the gateway refuses with 405. */
export function isRefusedMethod(method: string): boolean {
  return REFUSED_METHODS.has(method);
}

/** The 405 answer to a refused method, with its `Allow` header: every forwarded method, or a route's own list. */
export function methodNotAllowed(method: string, allow = ALLOWED): GatewayError {
  return new GatewayError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed`, { headers: { Allow: allow } });
}
