import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from './config/index.js';
import { createCorsPolicy, type CorsPolicy, type Header } from './cors-policy.js';
import { securityHeaders } from './security-headers.js';

/**
 * The headers of the gateway's own answers, built once from config: the security layer, the CORS layer and every error
 * writer share them.
 */
export interface AnswerHeaders {
  /** Helmet's headers with the configured `Cross-Origin-Resource-Policy`, on every response. */
  readonly security: readonly Header[];
  readonly cors: CorsPolicy;
  /**
   * Headers of an answer the gateway writes itself (an error) to a request with `headers`: the
   * security headers, then the CORS headers when its `Origin` is allowed, so a script can read the
   * envelope whichever layer answered, or Node's parser.
   */
  of(headers: IncomingHttpHeaders, encrypted: boolean): readonly Header[];
}

/** Builds the tables once, at start-up. */
export function createAnswerHeaders(config: Pick<Config, 'cors' | 'trustProxy'>): AnswerHeaders {
  const security = securityHeaders(config.cors.resourcePolicy);
  const cors = createCorsPolicy({ ...config.cors, trustProxy: config.trustProxy });
  return {
    security,
    cors,
    of(headers, encrypted) {
      const allowed = cors.headersFor(headers, encrypted);
      return allowed.length === 0 ? security : [...security, ...allowed];
    },
  };
}
