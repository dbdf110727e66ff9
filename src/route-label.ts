import type { Config, RouteConfig } from './config/index.js';
import { isUnderPrefix } from './proxy/path.js';

/**
 * The route prefix (or gateway endpoint) a path falls under, undefined for none: the bounded
 * `route` of the metrics and the `http.route` of the server span. Longest first, so
 * `/health/ready` is not taken for `/health`.
 */
export function createRouteLabel(
  routes: readonly RouteConfig[],
  endpoints: Config['endpoints'],
): (path: string) => string | undefined {
  const prefixes = [...routes.map((route) => route.prefix), ...Object.values(endpoints)].sort(
    (a, b) => b.length - a.length,
  );
  return (path) => prefixes.find((prefix) => isUnderPrefix(path, prefix));
}
