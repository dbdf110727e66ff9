import koaCors from '@koa/cors';
import { GatewayError } from '../errors.js';
import type { GatewayMiddleware } from '../state.js';

/** Response headers a browser script may read: the correlation id and the rate-limit state. */
const EXPOSED_HEADERS = ['x-correlation-id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'];

/**
 * CORS with an allow-list: a request whose `Origin` is not listed is refused with 403 and never
 * proxied; listed origins get credentialed CORS headers and their preflights are answered here (204).
 */
export function createCors(options: { origins: readonly string[]; credentials: boolean }): GatewayMiddleware {
  const allowed = new Set(options.origins);
  const cors = koaCors({
    origin: (ctx) => ctx.get('Origin'),
    credentials: options.credentials,
    exposeHeaders: EXPOSED_HEADERS,
    keepHeadersOnError: true,
  });
  return async function corsGuard(ctx, next) {
    const origin = ctx.get('Origin');
    if (origin === '') return next();
    if (!allowed.has(origin)) throw new GatewayError(403, 'FORBIDDEN', 'Origin not allowed');
    return cors(ctx, next);
  };
}
