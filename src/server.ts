import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Gateway } from './app.js';
import type { Config } from './config/index.js';
import { GatewayError, toErrorResponse } from './errors.js';
import type { Lifecycle } from './lifecycle.js';
import { isEncrypted, type Header } from './cors-policy.js';
import type { AnswerHeaders } from './answer-headers.js';
import { correlationIdOf } from './middleware/correlation.js';
import { MAX_HEADER_BYTES } from './middleware/request-guard.js';
import { methodNotAllowed } from './proxy/methods.js';
import { createUpgradeListener } from './upgrade.js';
import { headersInPacket } from './packet-headers.js';

/**
 * Requests Node's HTTP parser refuses never reach Koa; they are answered here with the same
 * envelope (and a fresh correlation id), then the connection is closed as Node would.
 */
const PARSER_ERRORS: ReadonlyMap<string, GatewayError> = new Map([
  ['HPE_HEADER_OVERFLOW', new GatewayError(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request header fields too large')],
  ['ERR_HTTP_REQUEST_TIMEOUT', new GatewayError(408, 'REQUEST_TIMEOUT', 'Request timed out')],
]);
const MALFORMED = new GatewayError(400, 'BAD_REQUEST', 'Malformed request');

/**
 * Node's parser refuses a larger request head (431) before any header reaches JavaScript, so its
 * answer can carry CORS headers only when the `Origin` line is in the last packet read. Up to this
 * size the head is parsed whole and the request guard refuses anything over MAX_HEADER_BYTES
 * (Node's own default) in Koa, knowing the `Origin`: a browser's oversized cookie gets a 431 its
 * script can read. nginx's default allows 4 × 8 KiB (`large_client_header_buffers`).
 */
const PARSER_MAX_HEADER_BYTES = 2 * MAX_HEADER_BYTES;

/** How long a connection accepted before the drain may take to send its first request. */
const SILENT_CONNECTION_WINDOW_MS = 500;

/** Node checks header and request timeouts on this interval (default 30 s): a slowloris would get 30 s more. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** The gateway's HTTP server: Koa's handler, slow-client limits, and JSON answers for requests the parser refuses. */
export function createServer(gateway: Gateway, limits: Config['server']): http.Server {
  const handle = gateway.app.callback();
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, limits.headersTimeoutMs),
      maxHeaderSize: PARSER_MAX_HEADER_BYTES,
      // Node answers a Host-less HTTP/1.1 request with an empty 400; the request guard refuses it with the envelope.
      requireHostHeader: false,
    },
    (request, response) => void handle(request, response),
  );
  const { headers } = gateway;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, headers));
  server.on('connect', (request: http.IncomingMessage, socket: Duplex) => refuseConnect(request, socket, headers));
  // Upgrade requests (WebSocket handshakes) run through the same onion: see upgrade.ts.
  server.on('upgrade', createUpgradeListener(handle));
  closeSilentConnectionsOnDrain(server, gateway.lifecycle);
  return server;
}

/**
 * A connection that has sent nothing yet counts as busy to Node (its header timer runs), so
 * `server.close()` waits for it; and once closed, the server no longer runs that timer. Such a
 * connection would hold the drain until the grace expires. When draining begins, connections that
 * still have not sent a request after a short window are closed: one accepted just before the
 * listener closed gets that long for its first request to arrive.
 */
function closeSilentConnectionsOnDrain(server: http.Server, lifecycle: Lifecycle): void {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  lifecycle.onDrain(() => {
    setTimeout(() => {
      for (const socket of open) if (!lifecycle.hasServed(socket)) socket.destroy();
    }, SILENT_CONNECTION_WINDOW_MS).unref();
  });
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, headers: AnswerHeaders): void {
  // A client that reset or closed its side cannot be answered, nor one whose response has begun.
  // An error found after the headers (a bad chunk, a slow body) has a response not begun yet: it
  // is answered too, as Node's own handler does (lib/_http_server.js, socketOnError).
  const pending = pendingResponse(socket);
  if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent === true) {
    socket.destroy();
    return;
  }
  const gatewayError = PARSER_ERRORS.get(error.code ?? '') ?? MALFORMED;
  // The request's headers when Node parsed them; else what the refused packet shows of them.
  const requestHeaders = pending?.req?.headers ?? headersInPacket((error as { rawPacket?: Buffer }).rawPacket);
  endWithEnvelope(
    socket,
    gatewayError,
    randomUUID(),
    headers.of(requestHeaders, isEncrypted(socket)),
    isHead(error, socket),
  );
}

/**
 * CONNECT never reaches Koa: Node emits 'connect' for it and, with no listener, drops the socket
 * unanswered. The gateway is no tunnel (DESIGN.md, "What goes downstream"): 405, then close.
 */
function refuseConnect(request: http.IncomingMessage, socket: Duplex, headers: AnswerHeaders): void {
  endWithEnvelope(
    socket,
    methodNotAllowed('CONNECT'),
    correlationIdOf(request.headers),
    headers.of(request.headers, isEncrypted(socket)),
    false,
  );
}

/** Writes `error` as a complete response (toErrorResponse: the same as Koa's) on a raw socket and closes it. */
function endWithEnvelope(
  socket: Duplex,
  error: GatewayError,
  correlationId: string,
  gatewayHeaders: readonly Header[],
  omitBody: boolean,
): void {
  const { status, headers, body } = toErrorResponse(error, correlationId, gatewayHeaders);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      (omitBody ? '' : body),
  );
}

/**
 * The response Node's server has begun for the request on `socket`, if any. Node keeps it only in
 * the socket's private `_httpMessage` (lib/_http_server.js); this is the one place that reads it.
 */
function pendingResponse(socket: Duplex): PendingResponse | undefined {
  return (socket as { _httpMessage?: PendingResponse })._httpMessage;
}

interface PendingResponse {
  readonly headersSent?: boolean;
  readonly req?: { readonly method?: string; readonly headers?: IncomingHttpHeaders };
}

/**
 * RFC 9110 §9.3.2: the answer to HEAD has no body. The method is known from the request when one
 * was parsed, else from the refused packet when the request line is in it.
 */
function isHead(error: NodeJS.ErrnoException, socket: Duplex): boolean {
  const request = pendingResponse(socket)?.req;
  if (request !== undefined) return request.method === 'HEAD';
  return (error as { rawPacket?: Buffer }).rawPacket?.toString('latin1', 0, 5) === 'HEAD ';
}
