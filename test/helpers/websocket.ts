import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Opens a WebSocket to `url`; resolves with the open socket, or with the HTTP answer when the handshake was refused. */
export function openWebSocket(url: string, options: ClientOptions = {}): Promise<WebSocket | RefusedHandshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
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
  return new Promise((resolve) => socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') })));
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}
