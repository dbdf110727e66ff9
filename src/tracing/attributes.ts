import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';

/**
 * Attribute names of the gateway's spans: the stable HTTP semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/) from the package, the few
 * incubating ones written out here as that package advises (its `incubating` entry point may
 * change in any minor release), and the gateway's own under `gateway.`.
 */
export const ATTR = {
  CLIENT_ADDRESS: ATTR_CLIENT_ADDRESS,
  ERROR_TYPE: ATTR_ERROR_TYPE,
  METHOD: ATTR_HTTP_REQUEST_METHOD,
  METHOD_ORIGINAL: ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  RESEND_COUNT: ATTR_HTTP_REQUEST_RESEND_COUNT,
  STATUS_CODE: ATTR_HTTP_RESPONSE_STATUS_CODE,
  ROUTE: ATTR_HTTP_ROUTE,
  SERVER_ADDRESS: ATTR_SERVER_ADDRESS,
  SERVER_PORT: ATTR_SERVER_PORT,
  URL_FULL: ATTR_URL_FULL,
  URL_PATH: ATTR_URL_PATH,
  URL_SCHEME: ATTR_URL_SCHEME,
  /** Incubating: the logical name of the service called (successor of `peer.service`). */
  SERVER_SERVICE_NAME: 'server.service.name',
  /** Deprecated for `server.service.name` but still what Jaeger and Tempo read for a called service. */
  PEER_SERVICE: 'peer.service',
  /** Incubating: the user a verified token names. */
  USER_ID: 'user.id',
  CORRELATION_ID: 'gateway.correlation_id',
  /** The contract's code of an answer the gateway gave itself (`TOO_MANY_REQUESTS` …). */
  ERROR_CODE: 'gateway.error.code',
  RATE_LIMIT_KIND: 'gateway.rate_limit.kind',
  RATE_LIMIT_LIMIT: 'gateway.rate_limit.limit',
  TOKEN_REFUSAL: 'gateway.auth.refusal',
  SERVICE: 'gateway.service',
} as const;

/** Span event names: the decisions of the onion that matter when reading a trace. */
export const EVENT = {
  RATE_LIMITED: 'rate limited',
  TOKEN_REFUSED: 'token refused',
  CIRCUIT_OPEN: 'circuit open',
  CLIENT_GONE: 'client gone',
} as const;

/** Methods the HTTP conventions know by name; any other is recorded as `_OTHER` (and spans are named `HTTP`). */
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/** `http.request.method` and the name's method part for `method`, as the conventions spell them. */
export function methodOf(method: string): { readonly attribute: string; readonly name: string } {
  return KNOWN_METHODS.has(method) ? { attribute: method, name: method } : { attribute: '_OTHER', name: 'HTTP' };
}

/** The path of a request target without its query string: queries may carry tokens. */
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** True when `id` could be an e-mail address (`sub` is the e-mail in the shop's tokens): never an attribute. */
export function looksLikeEmail(id: string): boolean {
  return id.includes('@');
}
