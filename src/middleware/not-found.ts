import { GatewayError } from '../errors.js';
import type { GatewayMiddleware } from '../state.js';

/** The innermost layer: reached only when no route matched. */
export function createNotFound(): GatewayMiddleware {
  // Koa's compose turns a synchronous throw into a rejected promise.
  return function notFound(): never {
    throw new GatewayError(404, 'NOT_FOUND', 'Route not found');
  };
}
