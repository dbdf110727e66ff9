import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import WebSocket, { WebSocketServer, type ClientOptions, type RawData } from 'ws';

/** What a WebSocket service saw of one handshake. */
export interface SeenHandshake {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A real WebSocket server on an ephemeral loopback port that echoes every message as it came (text or binary). */
export interface WebSocketService {
  readonly url: string;
  readonly seen: SeenHandshake[];
  /** The service side of every connection, in order. */
  readonly sockets: WebSocket[];
  close(): Promise<void>;
}

/** Starts an echo service; `maxPayload` bounds the messages it accepts (ws defaults to 100 MiB). */
export async function startWebSocketService(options: { maxPayload?: number } = {}): Promise<WebSocketService> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const seen: SeenHandshake[] = [];
  const sockets: WebSocket[] = [];
  server.on('connection', (socket, request: IncomingMessage) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    sockets.push(socket);
    socket.on('message', (data: RawData, isBinary: boolean) => socket.send(data, { binary: isBinary }));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** The gateway's (or service's) answer to a handshake it did not switch. */
export interface RefusedHandshake {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Opens a WebSocket to `url`; resolves with the open socket, or with the HTTP answer when the handshake was refused.
 */
export function openWebSocket(url: string, options: ClientOptions = {}): Promise<WebSocket | RefusedHandshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
  });
}

/** Opens a WebSocket that must succeed. */
export async function connectWebSocket(url: string, options: ClientOptions = {}): Promise<WebSocket> {
  const result = await openWebSocket(url, options);
  if (!(result instanceof WebSocket)) throw new Error(`handshake refused with ${result.status}: ${result.body}`);
  return result;
}

/** Opens a WebSocket that must be refused, and returns the answer. */
export async function refusedWebSocket(url: string, options: ClientOptions = {}): Promise<RefusedHandshake> {
  const result = await openWebSocket(url, options);
  if (result instanceof WebSocket) {
    result.terminate();
    throw new Error('handshake unexpectedly accepted');
  }
  return result;
}

/** The next message `socket` receives, with whether it was binary. */
export function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: RawData, isBinary: boolean): void => {
      socket.off('close', onClose);
      resolve({ data: toBuffer(data), isBinary });
    };
    const onClose = (): void => {
      socket.off('message', onMessage);
      reject(new Error('closed before a message arrived'));
    };
    socket.once('message', onMessage);
    socket.once('close', onClose);
  });
}

/** Resolves with the close code and reason once `socket` has closed. */
export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
  return new Promise((resolve) =>
    socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') })),
  );
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** A WebSocket service that only completes handshakes: the test reads and writes each bare socket itself. */
export interface RawWebSocketService {
  readonly url: string;
  /** The service side of every switched connection, in order. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** RFC 6455 §4.2.2: the `Sec-WebSocket-Accept` of a handshake's `Sec-WebSocket-Key`. */
function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC11D65`).digest('base64');
}

/** Starts a service that switches every WebSocket handshake to a bare socket and leaves the bytes to the test. */
export async function startRawWebSocketService(): Promise<RawWebSocketService> {
  const server = http.createServer();
  const sockets: Socket[] = [];
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(String(request.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends a WebSocket handshake for `path` on a bare socket to 127.0.0.1:`port`; resolves with the socket once the 101
 * has been read.
 */
export function rawWebSocketClient(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      if (!head.startsWith('HTTP/1.1 101 ') || end + 4 !== head.length) {
        socket.destroy();
        reject(new Error(`no bare 101: ${head.slice(0, 200)}`));
        return;
      }
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/**
 * One final binary frame holding `payload` (RFC 6455 §5.2); a client's is masked, here with the zero key, which leaves
 * the payload as it is.
 */
export function binaryFrame(payload: Buffer, options: { fromClient: boolean }): Buffer {
  const header = Buffer.alloc(options.fromClient ? 14 : 10);
  header[0] = 0x82;
  header[1] = (options.fromClient ? 0x80 : 0) | 127;
  header.writeBigUInt64BE(BigInt(payload.length), 2);
  return Buffer.concat([header, payload]);
}
