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
 * Bytes of request target, header names and values a request may carry: Node's default limit,
 * counted as Node counts it. The server's parser allows more (server.ts), so this refusal is made
 * here, with the request's `Origin` known and its CORS headers on the 431.
 */
export const MAX_HEADER_BYTES = 16 * 1024;

const CLOSE = { headers: { Connection: 'close' } };

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
    // Either way the client would send the same head again on this connection (a cookie): it is closed, as Node's
    // parser does.
    if (rawHeaders.length > MAX_HEADER_LINES * 2) {
      throw new GatewayError(
        431,
        'REQUEST_HEADER_FIELDS_TOO_LARGE',
        `More than ${MAX_HEADER_LINES} header lines`,
        CLOSE,
      );
    }
    if (headBytes(ctx.req.url ?? '', rawHeaders) > MAX_HEADER_BYTES) {
      throw new GatewayError(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request header fields too large', CLOSE);
    }
    if (upgradeOf(ctx.req)?.kind === 'unreadable-body')
      throw new GatewayError(400, 'BAD_REQUEST', 'Unsupported protocol upgrade');
    let hosts = 0;
    for (let i = 0; i < rawHeaders.length; i += 2)
      if (rawHeaders[i]!.length === 4 && rawHeaders[i]!.toLowerCase() === 'host') hosts += 1;
    if (hosts > 1 || (hosts === 0 && ctx.req.httpVersion === '1.1'))
      throw new GatewayError(400, 'BAD_REQUEST', 'A request needs exactly one Host header');
    await next();
  };
}

function headBytes(url: string, rawHeaders: readonly string[]): number {
  let bytes = url.length;
  for (const field of rawHeaders) bytes += field.length;
  return bytes;
}
