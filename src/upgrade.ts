import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ignore } from './ignore.js';

/** What the server learnt about an upgrade request before handing it to the onion. */
export type Upgrade =
  /** A WebSocket handshake; `head` holds the bytes the client sent after its request headers. */
  | { readonly kind: 'websocket'; readonly head: Buffer }
  /**
   * Another protocol (h2c …) on a request that declares a body. Node's parser stops at the headers
   * of an upgrade request, so that body cannot be read and forwarded: the request guard refuses it.
   */
  | { readonly kind: 'unreadable-body' };

/**
 * Browsers cannot set headers on a WebSocket: a handshake may carry its token as this query
 * parameter instead. It is read by the auth layer, never forwarded, never logged.
 */
export const ACCESS_TOKEN_PARAMETER = 'access_token';

const upgrades = new WeakMap<IncomingMessage, Upgrade>();

/** The upgrade `request` asked for, as the server recorded it; undefined for an ordinary request. */
export function upgradeOf(request: IncomingMessage): Upgrade | undefined {
  return upgrades.get(request);
}

/** The handler Koa's `app.callback()` returns. */
type RequestHandler = (request: IncomingMessage, response: http.ServerResponse) => unknown;

/**
 * Listener for the server's `upgrade` event. Node hands an upgrade request over with its bare
 * socket (no response object, its own listeners removed); here it gets a response bound to that
 * socket and runs through the same handler as every request, so every layer of the onion answers
 * it as usual. The connection closes once that answer is written (`Connection: close`); a tunnel
 * takes the socket over instead (proxy/websocket.ts).
 * A WebSocket handshake is marked for the tunnel. Any other protocol is ignored, as RFC 9110 §7.8
 * allows, and the request is served as plain HTTP/1.1 when it has no body; with a body it is refused.
 */
export function createUpgradeListener(
  handle: RequestHandler,
): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return function upgrade(request, socket, head) {
    // Node removed its own error listener at the upgrade: without one, a reset would crash the process.
    socket.on('error', ignore);
    if (isWebSocketHandshake(request)) upgrades.set(request, { kind: 'websocket', head });
    else if (declaresBody(request)) upgrades.set(request, { kind: 'unreadable-body' });
    const response = new http.ServerResponse(request);
    response.shouldKeepAlive = false;
    // http.Server only ever passes a net.Socket (or a tls.TLSSocket) here.
    const connection = socket as Socket;
    response.assignSocket(connection);
    response.once('finish', () => connection.destroySoon());
    void handle(request, response);
  };
}

/** RFC 6455 §4.1: a WebSocket opening handshake is a GET with `Upgrade: websocket`. */
function isWebSocketHandshake(request: IncomingMessage): boolean {
  return request.method === 'GET' && request.headers.upgrade?.trim().toLowerCase() === 'websocket';
}

function declaresBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
