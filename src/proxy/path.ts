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

/** The name of a query parameter as URLSearchParams reads it: `+` is a space, escapes decoded. */
function decodeQueryName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Splits `url` into its path and its `&`-separated query parts (none when there is no query). */
function splitQuery(url: string): { path: string; parts: string[] } {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { path: url, parts: [] };
  return { path: url.slice(0, queryStart), parts: url.slice(queryStart + 1).split('&') };
}

function nameOf(part: string): string {
  const equals = part.indexOf('=');
  return decodeQueryName(equals === -1 ? part : part.slice(0, equals));
}

/** The decoded value of the first query parameter of `url` named `name`, or undefined. */
export function readQueryParameter(url: string, name: string): string | undefined {
  const part = splitQuery(url).parts.find((candidate) => nameOf(candidate) === name);
  if (part === undefined) return undefined;
  const equals = part.indexOf('=');
  return equals === -1 ? '' : decodeQueryName(part.slice(equals + 1));
}

/**
 * `url` without any query parameter named `name` (compared as {@link readQueryParameter} reads
 * names, so an encoded spelling is removed too); every other byte of the query stays as it came.
 */
export function withoutQueryParameter(url: string, name: string): string {
  const { path, parts } = splitQuery(url);
  const kept = parts.filter((part) => nameOf(part) !== name);
  if (kept.length === parts.length) return url;
  return kept.length === 0 ? path : `${path}?${kept.join('&')}`;
}
