import type { IncomingMessage } from 'node:http';
import { pipeline, Transform, type Readable } from 'node:stream';
import { GatewayError } from '../errors.js';

/** 413 for a body over `maxBodyBytes`; the rest of it is not read, so the connection cannot be reused. */
export function payloadTooLarge(maxBodyBytes: number): GatewayError {
  return new GatewayError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes`, {
    headers: { Connection: 'close' },
  });
}

/**
 * The body to stream upstream, or undefined when the request has none. A declared
 * Content-Length is checked before anything is sent (Node's parser then enforces it); a chunked
 * body is counted as it streams and fails with 413 once it passes `maxBodyBytes`.
 */
export function requestBody(request: IncomingMessage, maxBodyBytes: number): Readable | undefined {
  if (request.method === 'HEAD') return undefined;
  const declared = request.headers['content-length'];
  if (declared !== undefined) {
    if (Number(declared) > maxBodyBytes) throw payloadTooLarge(maxBodyBytes);
    return declared === '0' ? undefined : request;
  }
  if (request.headers['transfer-encoding'] === undefined) return undefined;
  let received = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > maxBodyBytes ? payloadTooLarge(maxBodyBytes) : null, chunk);
    },
  });
  return pipeline(request, limiter, () => {});
}
