import { GatewayError } from '../errors.js';
import { methodNotAllowed } from '../proxy/methods.js';
import { isSafeTarget } from '../proxy/path.js';
import type { GatewayMiddleware } from '../state.js';
import { upgradeOf } from '../upgrade.js';

/**
 * Header lines a request may carry. Node keeps at most 2000 and drops the rest silently; Tomcat,
 * under the shop's services, refuses more than 100. Refusing here keeps what goes downstream whole.
 */
const MAX_HEADER_LINES = 100;

/**
 * Refuses, before any route or auth decision: TRACE (405, never forwarded; CONNECT never reaches
 * Koa, see server.ts), request targets whose path could reach something
 * other than what it names (dot segments, encoded slashes; see proxy/path.ts), HTTP/1.1 requests
 * without exactly one Host (RFC 9112 §3.2), and requests with more header lines than a service
 * would accept; and an upgrade to a protocol other than WebSocket whose body cannot be read (see upgrade.ts).
 */
export function createRequestGuard(): GatewayMiddleware {
  return async function requestGuard(ctx, next) {
    if (ctx.method === 'TRACE') throw methodNotAllowed('TRACE');
    if (!isSafeTarget(ctx.url)) throw new GatewayError(400, 'BAD_REQUEST', 'Malformed request path');
    const { rawHeaders } = ctx.req;
    if (rawHeaders.length > MAX_HEADER_LINES * 2) {
      throw new GatewayError(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', `More than ${MAX_HEADER_LINES} header lines`);
    }
    if (upgradeOf(ctx.req)?.kind === 'unreadable-body') throw new GatewayError(400, 'BAD_REQUEST', 'Unsupported protocol upgrade');
    let hosts = 0;
    for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.length === 4 && rawHeaders[i]!.toLowerCase() === 'host') hosts += 1;
    if (hosts > 1 || (hosts === 0 && ctx.req.httpVersion === '1.1')) throw new GatewayError(400, 'BAD_REQUEST', 'A request needs exactly one Host header');
    await next();
  };
}
