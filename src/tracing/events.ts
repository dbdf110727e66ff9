import type { GatewayError } from '../errors.js';
import type { GatewayContext, RateLimitState } from '../state.js';
import { ATTR, EVENT } from './attributes.js';

/**
 * The decisions of the onion that a trace shows as events of the server span, one call each from
 * the layer that decides. On a span that does not record, each is a call that does nothing.
 */

/** The request went over `limit` (429). */
export function markRateLimited(ctx: GatewayContext, limit: RateLimitState): void {
  ctx.state.trace?.span.addEvent(EVENT.RATE_LIMITED, {
    [ATTR.RATE_LIMIT_KIND]: limit.kind,
    [ATTR.RATE_LIMIT_LIMIT]: limit.limit,
  });
}

/**
 * The token was refused (401); `reason` is reduced to a fixed phrase, so nothing of the token or its claims is
 * recorded.
 */
export function markTokenRefused(ctx: GatewayContext, reason: string): void {
  ctx.state.trace?.span.addEvent(EVENT.TOKEN_REFUSED, { [ATTR.TOKEN_REFUSAL]: refusalOf(reason) });
}

/** The circuit of `service` refused the request (503 `CIRCUIT_OPEN`). */
export function markCircuitOpen(ctx: GatewayContext, service: string): void {
  ctx.state.trace?.span.addEvent(EVENT.CIRCUIT_OPEN, { [ATTR.SERVICE]: service });
}

/**
 * The gateway answered with `error`'s envelope: its code is the span's `gateway.error.code` (and `error.type` for a
 * 5xx).
 */
export function recordGatewayError(ctx: GatewayContext, error: GatewayError): void {
  const requestTrace = ctx.state.trace;
  if (requestTrace === undefined) return;
  requestTrace.errorCode = error.code;
  requestTrace.span.setAttribute(ATTR.ERROR_CODE, error.code);
}

/**
 * The refusal reasons jsonwebtoken and the claims check give (auth/claims.ts), by their fixed
 * start; anything else, such as a JSON parse error quoting the payload, is `invalid token`.
 */
const REFUSALS = [
  'no token',
  'jwt expired',
  'jwt not active',
  'jwt malformed',
  'jwt signature is required',
  'invalid signature',
  'invalid algorithm',
  'jwt audience invalid',
  'jwt issuer invalid',
  'jwt subject invalid',
  'jwt id invalid',
  'token has no exp claim',
  'token names no user',
  'token claims cannot be sent as headers',
];

function refusalOf(reason: string): string {
  if (reason.startsWith('token type ')) return 'token type is not access';
  return REFUSALS.find((refusal) => reason.startsWith(refusal)) ?? 'invalid token';
}
