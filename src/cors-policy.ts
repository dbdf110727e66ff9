import type { IncomingHttpHeaders } from 'node:http';

/** One response header. */
export type Header = readonly [name: string, value: string];

/**
 * Response headers every script may read (DESIGN.md, "CORS and headers"): the correlation id, the
 * rate-limit state, and `WWW-Authenticate`, which says why a token was refused (RFC 6750 §3).
 */
const EXPOSED_HEADERS = [
  'x-correlation-id',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
  'WWW-Authenticate',
];

/** The methods a preflight is told it may use: the ones a route forwards (TRACE and CONNECT never are). */
const ALLOWED_METHODS = 'GET,HEAD,PUT,POST,DELETE,PATCH';

/** How the gateway treats a request that carries an `Origin`. */
export type CorsVerdict =
  /** Listed in `CORS_ORIGINS`: answered with credentialed CORS headers. */
  | 'allowed'
  /** The page is on the origin the client addressed: not a cross-origin request, no CORS headers needed. */
  | 'same-origin'
  /** Any other origin: 403, never proxied. */
  | 'refused';

/** What the policy is built from: `Config.cors` and whether `X-Forwarded-*` may be believed. */
export interface CorsOptions {
  readonly origins: readonly string[];
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
  readonly exposeHeaders: readonly string[];
  readonly trustProxy: boolean;
}

/**
 * The CORS decisions and header sets, built once from config; the CORS layer and every writer of a gateway answer use
 * it.
 */
export interface CorsPolicy {
  /** The verdict on a request whose `Origin` is `origin` (non-empty). */
  judge(origin: string, headers: IncomingHttpHeaders, encrypted: boolean): CorsVerdict;
  /** Headers of any answer but a preflight's to an allowed `origin` (the caller adds `Vary: Origin`). */
  answerHeaders(origin: string): readonly Header[];
  /**
   * Headers of the answer to an allowed `origin`'s preflight that asked for `requestedHeaders` (the caller adds `Vary:
   * Origin`).
   */
  preflightHeaders(origin: string, requestedHeaders: string): readonly Header[];
  /**
   * The CORS headers, `Vary` included, of an answer the gateway writes itself to a request with `headers`: an allowed
   * origin's, else none.
   */
  headersFor(headers: IncomingHttpHeaders, encrypted: boolean): readonly Header[];
}

/**
 * The `Access-Control-Expose-Headers` value: the built-in names, then `extra` (`CORS_EXPOSE_HEADERS`,
 * and a route's own list once routes declare one), each name once whatever its case.
 */
export function exposeHeadersValue(...extra: ReadonlyArray<readonly string[]>): string {
  const names = new Map<string, string>();
  for (const name of [EXPOSED_HEADERS, ...extra].flat())
    if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  return [...names.values()].join(',');
}

/** Builds the policy; every header value that depends only on config is made here, once. */
export function createCorsPolicy(options: CorsOptions): CorsPolicy {
  const allowed = new Set(options.origins);
  const { trustProxy } = options;
  const credentials: Header[] = options.credentials ? [['Access-Control-Allow-Credentials', 'true']] : [];
  const answer: Header[] = [
    ...credentials,
    ['Access-Control-Expose-Headers', exposeHeadersValue(options.exposeHeaders)],
  ];
  const preflight: Header[] = [
    ...credentials,
    ['Access-Control-Allow-Methods', ALLOWED_METHODS],
    ['Access-Control-Max-Age', String(options.maxAgeSeconds)],
  ];

  function judge(origin: string, headers: IncomingHttpHeaders, encrypted: boolean): CorsVerdict {
    if (allowed.has(origin)) return 'allowed';
    return isSameOrigin(origin, addressedOrigin(headers, encrypted, trustProxy)) ? 'same-origin' : 'refused';
  }

  return {
    judge,
    answerHeaders: (origin) => [['Access-Control-Allow-Origin', origin], ...answer],
    preflightHeaders(origin, requestedHeaders) {
      const headers: Header[] = [['Access-Control-Allow-Origin', origin], ...preflight];
      // Any header a route forwards may be sent: the service, not the gateway, decides what it reads.
      if (requestedHeaders !== '') headers.push(['Access-Control-Allow-Headers', requestedHeaders]);
      return headers;
    },
    headersFor(headers, encrypted) {
      const { origin } = headers;
      if (origin === undefined || origin === '' || judge(origin, headers, encrypted) !== 'allowed') return [];
      return [['Access-Control-Allow-Origin', origin], ...answer, ['Vary', 'Origin']];
    },
  };
}

/**
 * The origin the client addressed: its scheme and Host, as Koa's `ctx.origin` reads them. Behind a
 * trusted proxy, the first `X-Forwarded-Proto` and `X-Forwarded-Host` name what the browser used.
 */
function addressedOrigin(headers: IncomingHttpHeaders, encrypted: boolean, trustProxy: boolean): string | undefined {
  const proto = (trustProxy ? firstValue(headers['x-forwarded-proto']) : undefined) ?? (encrypted ? 'https' : 'http');
  const host = (trustProxy ? firstValue(headers['x-forwarded-host']) : undefined) ?? headers.host;
  return host === undefined || host === '' ? undefined : `${proto.toLowerCase()}://${host}`;
}

/** The first of a comma-separated list of values, or undefined when there is none. */
function firstValue(value: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

/**
 * A browser serialises `Origin` (RFC 6454 §6.2: lower case, no default port); `Host` may differ in
 * case or name the default port, so the addressed origin is serialised the same way when the two
 * strings differ.
 */
function isSameOrigin(origin: string, addressed: string | undefined): boolean {
  if (addressed === undefined || origin === 'null') return false;
  if (origin === addressed) return true;
  return URL.canParse(addressed) && new URL(addressed).origin === origin;
}

/** True on a TLS socket (node:tls marks it `encrypted`), as Koa's `ctx.protocol` reads it. */
export function isEncrypted(socket: object): boolean {
  return (socket as { encrypted?: unknown }).encrypted === true;
}
