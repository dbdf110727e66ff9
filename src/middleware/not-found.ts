import { GatewayError } from '../errors.js';
import type { GatewayMiddleware } from '../state.js';

/** The innermost layer: reached only when no route matched. */
export function createNotFound(): GatewayMiddleware {
  return async function notFound() {
    throw new GatewayError(404, 'NOT_FOUND', 'Route not found');
  };
}
