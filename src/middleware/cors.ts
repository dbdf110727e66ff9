import { isEncrypted, type CorsPolicy } from '../cors-policy.js';
import { GatewayError } from '../errors.js';
import type { GatewayMiddleware } from '../state.js';

/**
 * CORS with an allow-list (cors-policy.ts decides): a request whose `Origin` is neither listed nor
 * the origin the client addressed is refused with 403 and never proxied; listed origins get
 * credentialed CORS headers and their preflights are answered here (204). The headers are set
 * before the inner layers run, so their errors carry them too; the error layer adds them to the
 * answers of the layers outside this one.
 */
export function createCors(policy: CorsPolicy): GatewayMiddleware {
  return async function cors(ctx, next) {
    const origin = ctx.get('Origin');
    if (origin === '') {
      await next();
      return;
    }
    const { req } = ctx;
    // A response that depends on Origin says so, or a cache could hand it to another origin.
    ctx.vary('Origin');
    const verdict = policy.judge(origin, req.headers, isEncrypted(req.socket));
    if (verdict === 'refused') throw new GatewayError(403, 'FORBIDDEN', 'Origin not allowed');
    if (verdict === 'same-origin') {
      await next();
      return;
    }
    const requestedMethod = ctx.get('Access-Control-Request-Method');
    // Fetch standard, "CORS-preflight request": an OPTIONS with Access-Control-Request-Method.
    if (ctx.method === 'OPTIONS' && requestedMethod !== '') {
      for (const [name, value] of policy.preflightHeaders(origin, ctx.get('Access-Control-Request-Headers')))
        ctx.set(name, value);
      ctx.status = 204;
      return;
    }
    for (const [name, value] of policy.answerHeaders(origin)) ctx.set(name, value);
    await next();
  };
}
