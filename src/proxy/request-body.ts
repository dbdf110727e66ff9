import type { IncomingMessage } from 'node:http';
import { PassThrough, Transform, type Duplex, type Readable } from 'node:stream';
import { GatewayError } from '../errors.js';

/** 413 for a body over `maxBodyBytes`; the rest of it is not read, so the connection cannot be reused. */
function payloadTooLarge(maxBodyBytes: number): GatewayError {
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
    return declared === '0' ? undefined : detach(request, new PassThrough());
  }
  if (request.headers['transfer-encoding'] === undefined) return undefined;
  let received = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > maxBodyBytes ? payloadTooLarge(maxBodyBytes) : null, chunk);
    },
  });
  return detach(request, limiter);
}

/**
 * Pipes the client's body into `body`, the stream got reads. got destroys that stream when the
 * exchange fails; had it been the request itself, the client's connection would be reset before
 * its 502 is written. What the client still sends is then read and dropped, as Node does for a
 * body nobody read, so a kept-alive connection stays usable.
 */
function detach<T extends Duplex>(request: IncomingMessage, body: T): T {
  request.pipe(body);
  body.once('close', () => {
    if (!request.complete) request.resume();
  });
  return body;
}
