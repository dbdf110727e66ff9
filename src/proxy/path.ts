/**
 * A path that could reach something other than what its prefix names: a dot segment, plain or
 * percent-encoded (`.`, `..`, `%2e`, `.%2E` …), also with a `;` parameter as Tomcat reads `..;`,
 * an encoded slash or backslash, or a raw backslash (WHATWG URL parsing turns `\` into `/`).
 */
const UNSAFE_PATH = /(?:^|\/)(?:\.|%2e){1,2}(?:;[^/]*)?(?:\/|$)|\\|%2f|%5c|%00/i;

/**
 * True when the request target is origin-form (`/path?query`, RFC 9112 §3.2.1), has no fragment,
 * and its path cannot escape its prefix. The query is not inspected: it is forwarded as it came.
 */
export function isSafeTarget(target: string): boolean {
  const queryStart = target.indexOf('?');
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  return path.startsWith('/') && !UNSAFE_PATH.test(path) && !target.includes('#');
}

/** True when `path` is `prefix` itself or lies below it, compared per segment. */
export function isUnderPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f);
}

/** Regular expression matching `prefix` per segment, for the router. */
export function prefixPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/.*)?$`);
}

/**
 * `/api/v1/products/123?x=1` with prefix `/api/v1/products` and upstream path `/products` →
 * `/products/123?x=1`. String concatenation, never `new URL(rest, base)`: the rest, query
 * included, stays byte for byte. `url` must already be under `prefix` and safe.
 */
export function rewritePath(url: string, prefix: string, upstreamPath: string): string {
  return upstreamPath + url.slice(prefix.length);
}
