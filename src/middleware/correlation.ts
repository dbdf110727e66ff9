import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayMiddleware } from '../state.js';

const HEADER = 'x-correlation-id';
/** At most 128 visible ASCII characters: anything else could smuggle text into logs or headers. */
const SANE_ID = /^[\x21-\x7e]{1,128}$/;

/** Takes a sane incoming `x-correlation-id` or makes a UUID, and echoes it on every response. */
export function createCorrelation(): GatewayMiddleware {
  return async function correlation(ctx, next) {
    const id = correlationIdOf(ctx.req.headers);
    ctx.state.correlationId = id;
    ctx.set(HEADER, id);
    await next();
  };
}

/**
 * The correlation id of a request with `headers`: its own `x-correlation-id` when sane, else a
 * fresh UUID. The server uses it too, for the requests it answers outside Koa (CONNECT).
 */
export function correlationIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers[HEADER];
  return typeof incoming === 'string' && isSaneCorrelationId(incoming) ? incoming : randomUUID();
}

/** True when `id` would be kept as the correlation id. */
export function isSaneCorrelationId(id: string): boolean {
  return SANE_ID.test(id);
}
