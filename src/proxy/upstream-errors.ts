import { RequestError } from 'got';
import { GatewayError } from '../errors.js';

type UpstreamCode = 'SERVICE_UNAVAILABLE' | 'SERVICE_TIMEOUT';

/** Transport error codes (Node's `err.code`, as got passes them on) → contract code. */
const UPSTREAM_ERRORS: ReadonlyMap<string, UpstreamCode> = new Map([
  ['ETIMEDOUT', 'SERVICE_TIMEOUT'], // got's TimeoutError, whatever phase timed out
  ['ESOCKETTIMEDOUT', 'SERVICE_TIMEOUT'],
  ['ECONNREFUSED', 'SERVICE_UNAVAILABLE'],
  ['ECONNRESET', 'SERVICE_UNAVAILABLE'],
  ['ECONNABORTED', 'SERVICE_UNAVAILABLE'],
  ['EPIPE', 'SERVICE_UNAVAILABLE'],
  ['ENOTFOUND', 'SERVICE_UNAVAILABLE'],
  ['EAI_AGAIN', 'SERVICE_UNAVAILABLE'],
  ['EHOSTUNREACH', 'SERVICE_UNAVAILABLE'],
  ['ENETUNREACH', 'SERVICE_UNAVAILABLE'],
  ['EADDRNOTAVAIL', 'SERVICE_UNAVAILABLE'],
]);

const MESSAGES: Record<UpstreamCode, (service: string) => string> = {
  SERVICE_UNAVAILABLE: (service) => `Service ${service} is unavailable`,
  SERVICE_TIMEOUT: (service) => `Service ${service} timed out`,
};

/**
 * Maps an error from talking to `service` to the envelope's 502 codes. A {@link GatewayError}
 * raised on our side of the exchange (an over-long request body, say) is returned as it is.
 * Any other transport failure is the upstream's: 502 `SERVICE_UNAVAILABLE`.
 */
export function mapUpstreamError(error: unknown, service: string): GatewayError {
  const own = findGatewayError(error);
  if (own !== undefined) return own;
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  const mapped =
    (typeof code === 'string' ? UPSTREAM_ERRORS.get(code) : undefined) ??
    (name === 'TimeoutError' ? 'SERVICE_TIMEOUT' : 'SERVICE_UNAVAILABLE');
  return new GatewayError(502, mapped, MESSAGES[mapped](service), { cause: error });
}

/** got wraps errors from the request body stream (UploadError): look one level down for ours. */
function findGatewayError(error: unknown): GatewayError | undefined {
  if (error instanceof GatewayError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof GatewayError ? cause : undefined;
}

/** True for a failure of the upstream exchange itself, as opposed to the client going away. */
export function isUpstreamFailure(error: unknown): error is RequestError {
  return error instanceof RequestError && findGatewayError(error) === undefined;
}
