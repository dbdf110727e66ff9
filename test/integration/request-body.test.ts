import http from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { closedPort } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

describe('the rest of a request body after the upstream failed', () => {
  const fixture = useGateway({
    env: async () => ({
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`,
      MAX_BODY_BYTES: String(64 * 1024),
    }),
  });
  const sockets: Socket[] = [];

  before(() => {
    fixture.gateway.server.on('connection', (socket: Socket) => sockets.push(socket));
  });

  it('when a chunked upload goes on after its error answer (502, or 413 once past the limit), then the gateway reads little more of it and closes the connection', async () => {
    const client = http.request({
      host: '127.0.0.1',
      port: fixture.gateway.port,
      method: 'POST',
      path: '/api/v1/products',
      agent: false,
    });
    client.on('error', () => {}); // the client is still writing when the gateway closes: EPIPE or a reset
    client.on('response', (response) => response.resume());
    client.write(Buffer.alloc(1024, 1));
    // A client that ignores the answer and keeps sending, far past the limit.
    let sent = 0;
    const timer = setInterval(() => {
      if (client.destroyed || sent > 8 * 1024 * 1024) return clearInterval(timer);
      client.write(Buffer.alloc(64 * 1024, 2));
      sent += 64 * 1024;
    }, 2);
    try {
      await waitFor(() => sockets.length > 0 && sockets.at(-1)!.destroyed, 5000);
      expect(sockets.at(-1)!.bytesRead).to.be.below(1024 * 1024);
    } finally {
      clearInterval(timer);
      client.destroy();
    }
  });

  it('when a declared body goes on after its 502, then the connection stays usable', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const failed = await send({
        port: fixture.gateway.port,
        method: 'POST',
        path: '/api/v1/products',
        body: Buffer.alloc(32 * 1024, 1),
        agent,
      });
      expect(failed.status).to.equal(502);
      expect((await send({ port: fixture.gateway.port, path: '/health', agent })).status).to.equal(200);
    } finally {
      agent.destroy();
    }
  });
});
