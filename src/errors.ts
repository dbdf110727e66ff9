import type { Header } from './cors-policy.js';

/** The error codes of the contract's error envelope (DESIGN.md, "Error envelope"). */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE'
  | 'SERVICE_TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'CIRCUIT_OPEN';

/** JSON body of every error response the gateway itself produces. */
export interface ErrorEnvelope {
  readonly success: false;
  readonly error: { readonly message: string; readonly code: ErrorCode; readonly correlationId: string };
}

/** An error with a contract status and code; only the error-envelope middleware turns it into a response. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  /** Headers the response must carry, e.g. `Retry-After` or `WWW-Authenticate`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.headers = options.headers ?? {};
  }
}

const INTERNAL_MESSAGE = 'Internal server error';

/** Maps anything thrown to the status, code and client-safe message of the envelope. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const status = statusOf(error);
  // Errors thrown by Koa itself or its middleware (ctx.throw, http-errors): keep 4xx, hide 5xx.
  if (status !== undefined && status >= 400 && status < 500) {
    const [code, message] = CLIENT_ERRORS.get(status) ?? OTHER_CLIENT_ERROR;
    const exposed = (error as { expose?: unknown }).expose === true;
    return new GatewayError(status, code, exposed ? (error as Error).message : message, { cause: error });
  }
  return new GatewayError(500, 'INTERNAL_ERROR', INTERNAL_MESSAGE, { cause: error });
}

/** Builds the envelope body for `error`. */
export function toEnvelope(error: GatewayError, correlationId: string): ErrorEnvelope {
  return { success: false, error: { message: error.message, code: error.code, correlationId } };
}

/** A complete error response: what the client receives, whoever writes it to the socket. */
export interface ErrorResponse {
  readonly status: number;
  /**
   * Content type, the gateway's headers for the request (security, CORS), the correlation id, then the error's own
   * (`Retry-After` …).
   */
  readonly headers: readonly Header[];
  readonly body: string;
}

const JSON_TYPE = ['Content-Type', 'application/json; charset=utf-8'] as const;

/**
 * The one builder of error responses: the Koa error layer and the server's answers to requests
 * Node's parser refuses (or CONNECT) all send what this returns, so every error carries the same
 * envelope, the same security headers and, for an allowed origin, the CORS headers (DESIGN.md,
 * "Error envelope", "CORS and headers"). `gatewayHeaders` are those of the request
 * (answer-headers.ts, `AnswerHeaders.of`).
 */
export function toErrorResponse(
  error: GatewayError,
  correlationId: string,
  gatewayHeaders: readonly Header[],
): ErrorResponse {
  return {
    status: error.status,
    headers: [JSON_TYPE, ...gatewayHeaders, ['x-correlation-id', correlationId], ...Object.entries(error.headers)],
    body: JSON.stringify(toEnvelope(error, correlationId)),
  };
}

/**
 * The 4xx errors Koa and its middleware throw (`ctx.throw`, http-errors): the code of each status,
 * and the message sent when the error's own is not exposed. Any other 4xx is BAD_REQUEST. Every
 * 5xx the gateway sends is a GatewayError made where the failure is known, with its own message.
 */
const CLIENT_ERRORS: ReadonlyMap<number, readonly [code: ErrorCode, message: string]> = new Map([
  [400, ['BAD_REQUEST', 'Bad request']],
  [401, ['UNAUTHORIZED', 'Unauthorized']],
  [403, ['FORBIDDEN', 'Forbidden']],
  [404, ['NOT_FOUND', 'Route not found']],
  [405, ['METHOD_NOT_ALLOWED', 'Method not allowed']],
  [408, ['REQUEST_TIMEOUT', 'Request timed out']],
  [413, ['PAYLOAD_TOO_LARGE', 'Payload too large']],
  [429, ['TOO_MANY_REQUESTS', 'Too many requests']],
  [431, ['REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request header fields too large']],
]);
const OTHER_CLIENT_ERROR = CLIENT_ERRORS.get(400)!;

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}
