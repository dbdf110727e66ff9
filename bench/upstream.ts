// The product service the bench puts behind the gateway: one node:http process on 127.0.0.1,
// answering as fast as Node can, so the gateway's cost is what the ratios show.
//   GET  /products/big/:mb  streams :mb MiB (content-length set)
//   GET  /products/:id      ~210-byte JSON that includes the path it saw (the bench verifies it)
//   POST /products          echoes the body, 201
//   GET  /actuator/health   {"status":"UP"}
// Prints {"port":N} on stdout once listening; exits on SIGTERM or SIGINT.
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const BIG = /^\/products\/big\/(\d+)$/;
const PRODUCT = /^\/products\/([^/]+)$/;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  response.end(data);
}

function streamMiB(response: ServerResponse, mib: number): void {
  let left = mib * MiB;
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
  const pump = (): void => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    response.end();
  };
  response.once('close', () => {
    left = 0;
  });
  pump();
}

const server = http.createServer((request, response) => {
  const url = request.url ?? '/';
  const path = url.split('?', 1)[0]!;
  if (request.method === 'POST' && path === '/products') {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      response.writeHead(201, {
        'content-type': request.headers['content-type'] ?? 'application/json',
        'content-length': body.length,
      });
      response.end(body);
    });
    return;
  }
  if (request.method !== 'GET') return sendJson(response, 405, { error: 'method not allowed' });
  const big = BIG.exec(path);
  if (big !== null) return streamMiB(response, Number(big[1]));
  const product = PRODUCT.exec(path);
  if (product !== null) {
    const id = product[1]!;
    return sendJson(response, 200, {
      id,
      sku: `QM-${id.padStart(8, '0')}`,
      name: `Product ${id}`,
      price: 19.99,
      currency: 'EUR',
      stock: 42,
      category: 'books',
      tags: ['bench', 'qeetmart'],
      rating: 4.5,
      updatedAt: '2026-01-01T00:00:00Z',
      path: url,
    });
  }
  if (path === '/actuator/health') return sendJson(response, 200, { status: 'UP' });
  sendJson(response, 404, { error: 'not found', path: url });
});

// Idle keep-alive sockets outlive any client pool (the gateway frees its own after 4 s), so no
// request races the upstream closing a pooled socket.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
