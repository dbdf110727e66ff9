import net from 'node:net';
import { expect } from 'chai';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

/** A raw client connection that collects what it receives. */
function connect(port: number): { socket: net.Socket; received: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`;

describe('draining: which requests are still served', () => {
  let upstream: TestUpstream;
  let gateway: RunningGateway;

  beforeEach(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(allServicesAt(upstream.url));
  });

  afterEach(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('regression: the first request of a connection accepted before the drain got 503; now it is served with Connection: close', async () => {
    let accepted = 0;
    gateway.server.on('connection', () => (accepted += 1));
    const client = connect(gateway.port);
    await waitFor(() => accepted === 1, 2000);
    gateway.gateway.lifecycle.drain();
    client.socket.write(get('/api/v1/products/1'));
    await waitFor(() => /\r\n\r\n\{/.test(client.received()), 3000);
    client.socket.destroy();
    expect(client.received()).to.match(/^HTTP\/1\.1 200 /);
    expect(client.received()).to.match(/\r\nconnection: close\r\n/i);
    expect(upstream.seen.map((seen) => seen.url)).to.deep.equal(['/products/1']);
  });

  it('when a kept-alive connection sends another request during the drain, then 503 SHUTTING_DOWN and nothing forwarded', async () => {
    const client = connect(gateway.port);
    client.socket.write(get('/api/v1/products/1'));
    await waitFor(() => /^HTTP\/1\.1 200 [^]*\r\n\r\n\{.*\}$/.test(client.received()), 3000);
    gateway.gateway.lifecycle.drain();
    client.socket.write(get('/api/v1/products/2'));
    await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 3000))]);
    client.socket.destroy();
    expect(client.received()).to.include('HTTP/1.1 503 ');
    expect(client.received()).to.include('"code":"SHUTTING_DOWN"');
    expect(upstream.seen.map((seen) => seen.url)).to.deep.equal(['/products/1']);
  });
});
