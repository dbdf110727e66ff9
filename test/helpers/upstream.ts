import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What an upstream saw of one request. */
export interface SeenRequest {
  readonly method: string;
  /** The request target exactly as it arrived. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

/** A real HTTP server on an ephemeral loopback port, standing in for a shop service. */
export interface TestUpstream {
  readonly port: number;
  readonly url: string;
  readonly seen: SeenRequest[];
  readonly server: http.Server;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse, seen: SeenRequest) => void;

/**
 * A handler that answers the first request of each connection with `answer` and closes the
 * connection on the next one: what a service's keep-alive timeout does to a request that was
 * already on its way over a kept-alive socket.
 */
export function closingOnSecondRequest(answer: Handler): Handler {
  const requestsPerSocket = new WeakMap<Socket, number>();
  return (request, response, seen) => {
    const count = (requestsPerSocket.get(request.socket) ?? 0) + 1;
    requestsPerSocket.set(request.socket, count);
    if (count > 1) request.socket.destroy();
    else answer(request, response, seen);
  };
}

/**
 * Answers JSON describing what it saw, unless `handler` answers otherwise. Bodies are read before `handler` runs unless
 * `streaming`.
 */
export async function startUpstream(handler?: Handler, options: { streaming?: boolean } = {}): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((request, response) => {
    const record = (body: Buffer): SeenRequest => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        body,
      };
      seen.push(entry);
      return entry;
    };
    if (options.streaming === true) {
      handler?.(request, response, record(Buffer.alloc(0)));
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = record(Buffer.concat(chunks));
      if (handler !== undefined) {
        handler(request, response, entry);
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ method: entry.method, url: entry.url, body: entry.body.toString('utf8') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
