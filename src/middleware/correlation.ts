import { randomUUID } from 'node:crypto';
import type { GatewayMiddleware } from '../state.js';

const HEADER = 'x-correlation-id';
/** At most 128 visible ASCII characters: anything else could smuggle text into logs or headers. */
const SANE_ID = /^[\x21-\x7e]{1,128}$/;

/** Takes a sane incoming `x-correlation-id` or makes a UUID, and echoes it on every response. */
export function createCorrelation(): GatewayMiddleware {
  return async function correlation(ctx, next) {
    const incoming = ctx.request.headers[HEADER];
    const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.correlationId = id;
    ctx.set(HEADER, id);
    await next();
  };
}

/** True when `id` would be kept as the correlation id. */
export function isSaneCorrelationId(id: string): boolean {
  return SANE_ID.test(id);
}
